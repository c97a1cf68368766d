using System.Security.Cryptography;
using System.Text;

namespace Marhaba.Hosting;

/// <summary>
/// The one way a stream's id follows from what names it (a booking reference; a port and a day): a name-based UUID,
/// RFC 9562 version 5, under a namespace of its own per kind of stream. Whoever holds the name opens the stream without
/// a lookup, and two kinds never share an id.
/// </summary>
public static class NamedIds
{
    public static Guid Of(Guid kind, string name)
    {
        var hash = SHA1.HashData([.. kind.ToByteArray(bigEndian: true), .. Encoding.UTF8.GetBytes(name)]);
        var id = hash[..16];
        id[6] = (byte)((id[6] & 0x0F) | 0x50);
        id[8] = (byte)((id[8] & 0x3F) | 0x80);
        return new Guid(id, bigEndian: true);
    }
}
