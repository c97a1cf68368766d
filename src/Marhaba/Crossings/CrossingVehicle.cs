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

/// <summary>
/// What staff wrote about a crossing in their own words (why it was cancelled or moved). Free text may
/// name people or their health, so it lives here, not in the events, and erasure deletes it.
/// </summary>
public class CrossingRemarks
{
    public Guid Id { get; set; }
    public List<CrossingRemark> Remarks { get; set; } = [];

    /// <summary>Adds a remark to the crossing's document (created on the first), in the caller's transaction.</summary>
    public static async Task AddAsync(Marten.IDocumentSession session, Guid crossingId, string? text, string by, DateTimeOffset at, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(text)) return;
        var remarks = await session.LoadAsync<CrossingRemarks>(crossingId, ct) ?? new CrossingRemarks { Id = crossingId };
        remarks.Remarks.Add(new CrossingRemark(at, by, text.Trim()));
        session.Store(remarks);
    }
}

public record CrossingRemark(DateTimeOffset At, string By, string Text);
