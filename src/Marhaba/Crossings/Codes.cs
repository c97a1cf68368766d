using System.Security.Cryptography;

namespace Marhaba.Crossings;

/// <summary>
/// Booking references and access codes people read out at a counter or type on a phone: an alphabet
/// without look-alike characters (no 0/O, 1/I/L, 5/S, 2/Z, 8/B, U/V).
/// </summary>
public static class Codes
{
    public const string Alphabet = "34679ACDEFGHJKMNPQRTWXY"; // 23 symbols, ~4.52 bits each

    /// <summary>MRH- and 10 symbols (~45 bits): unique across seasons of millions of crossings.</summary>
    public static string NewBookingReference() => "MRH-" + Random(10);

    /// <summary>AST- and 10 symbols: an assistance request followed without a booking.</summary>
    public static string NewRequestReference() => "AST-" + Random(10);

    /// <summary>10 symbols, ~45 bits of entropy: guessing it is hopeless under rate limiting.</summary>
    public static string NewAccessCode() => Random(10);

    /// <summary>Whether a text can be a reference at all (MRH- or AST- and 10 symbols): anything else is looked up nowhere.</summary>
    public static bool IsReference(string? value)
    {
        if (value is null) return false;
        var normal = Normalise(value);
        return normal.Length == 14 && (normal.StartsWith("MRH-") || normal.StartsWith("AST-")) && normal[4..].All(Alphabet.Contains);
    }

    /// <summary>
    /// A crossing's stream id, derived from its booking reference (a name-based UUID, RFC 9562 version 5): a desk
    /// that holds the reference opens the stream without a lookup. Crossings booked before carry random ids.
    /// </summary>
    public static Guid CrossingIdOf(string reference) => Hosting.NamedIds.Of(CrossingNamespace, Normalise(reference));

    private static readonly Guid CrossingNamespace = new("6d2c1f0e-8a4b-4e1d-9c3f-2b7a5e9d0c41");

    public static string Normalise(string value) =>
        new(value.Trim().ToUpperInvariant().Where(ch => ch != ' ').ToArray());

    private static string Random(int length)
    {
        var chars = new char[length];
        for (var i = 0; i < length; i++) chars[i] = Alphabet[RandomNumberGenerator.GetInt32(Alphabet.Length)];
        return new string(chars);
    }
}
