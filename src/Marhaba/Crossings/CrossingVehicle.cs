namespace Marhaba.Crossings;

/// <summary>
/// A crossing's vehicle registration. A plate identifies its keeper, so it is kept out of the
/// event streams, in a document that erasure deletes; port staff find a crossing by it.
/// </summary>
public class CrossingVehicle
{
    public Guid Id { get; set; }
    public string Plate { get; set; } = "";
    public string Country { get; set; } = "";
}

public static class Plates
{
    /// <summary>Upper-case letters and digits only, so "ab-123 cd" and "AB123CD" are one plate.</summary>
    public static string? Normalise(string? plate)
    {
        if (plate is null) return null;
        var kept = new string(plate.Where(char.IsAsciiLetterOrDigit).ToArray()).ToUpperInvariant();
        return kept.Length is >= 2 and <= 12 && plate.Length <= 20 ? kept : null;
    }
}
