using System.Security.Claims;
using Marhaba.Hosting;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;
using ZXing;
using ZXing.Common;

namespace Marhaba.Crossings;

public record ScannedBooking(string BookingReference);

/// <summary>
/// A booking's QR code read from a picture taken at the desk, for a browser that cannot read it itself (no
/// BarcodeDetector): the picture comes as its brightness, one byte a pixel, row by row, and is read with ZXing.
/// Only a booking reference is answered: any other code is no booking.
/// </summary>
public static class ScanBookingEndpoint
{
    public const int MaxPixels = 1600 * 1200;

    public static ProblemDetails Validate(string port, int? width, int? height, HttpContext context, ClaimsPrincipal user)
    {
        if (PortDesk.CheckPort(port, user) is var refused && refused != WolverineContinue.NoProblems) return refused;
        if (width is not (>= 21 and <= 4000) || height is not (>= 21 and <= 4000) || width * height > MaxPixels)
            return Problems.BadRequest("width", $"width and height are the picture's, 21 to 4000 pixels each, at most {MaxPixels:N0} pixels in all.");
        if (context.Request.ContentLength != width * height)
            return Problems.BadRequest("body", "The body is the picture's brightness, one byte a pixel: width × height bytes.");
        return WolverineContinue.NoProblems;
    }

    [WolverinePost("/api/ports/{port}/desk/scan", OperationId = "DeskScanBooking")]
    [Authorize(Policy = Policies.PortStaff)]
    [ProducesResponseType<ScannedBooking>(200)]
    [ProducesResponseType<ProblemDetails>(422)]
    public static async Task<IResult> Post(string port, int? width, int? height, HttpContext context, CancellationToken ct)
    {
        var (w, h) = (width!.Value, height!.Value); // checked in Validate
        var pixels = new byte[w * h];
        await context.Request.Body.ReadExactlyAsync(pixels, ct);
        var reader = new BarcodeReaderGeneric { Options = new DecodingOptions { PossibleFormats = [BarcodeFormat.QR_CODE], TryHarder = true } };
        var text = reader.Decode(new RGBLuminanceSource(pixels, w, h, RGBLuminanceSource.BitmapFormat.Gray8))?.Text?.Trim();
        return text is not null && Codes.IsReference(text) && Codes.Normalise(text).StartsWith("MRH-")
            ? Results.Ok(new ScannedBooking(Codes.Normalise(text)))
            : Problems.Make(422, "No booking code", "No booking's QR code could be read in the picture: hold the code flat, closer, in the light.", "body").ToResult();
    }
}
