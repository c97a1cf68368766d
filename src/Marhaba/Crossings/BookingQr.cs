using System.Net;
using QRCoder;

namespace Marhaba.Crossings;

/// <summary>
/// The booking reference as a QR code, drawn here as SVG (nothing fetched by the phone): shown at the quay, scanned by
/// the desk instead of typed. The reference only, never the access code: whoever sees the screen learns nothing more
/// than the reference printed on the ticket.
/// </summary>
public static class BookingQr
{
    public static string Svg(string reference, string label)
    {
        using var generator = new QRCodeGenerator();
        using var data = generator.CreateQrCode(reference, QRCodeGenerator.ECCLevel.M);
        var svg = new SvgQRCode(data).GetGraphic(8, "#000000", "#ffffff", drawQuietZones: true, sizingMode: SvgQRCode.SizingMode.ViewBoxAttribute);
        // An image to assistive technology, named; the markup starts after any XML declaration.
        var start = svg.IndexOf("<svg", StringComparison.Ordinal);
        return $"<svg role=\"img\" aria-label=\"{WebUtility.HtmlEncode(label)}\" class=\"qr\"" + svg[(start + 4)..];
    }
}
