using Marhaba.Hosting;
using Marten;
using Microsoft.AspNetCore.Mvc;

namespace Marhaba.Crossings;

/// <summary>Wrong codes given for one reference, counted across server nodes (a document per reference).</summary>
public class AccessFailures
{
    public string Id { get; set; } = "";
    public int Count { get; set; }
    public DateTimeOffset FirstAt { get; set; }
    public DateTimeOffset? LockedUntil { get; set; }
}

/// <summary>
/// Travellers have no account: a reference and its access code are their key. An unknown reference
/// and a wrong code get the same answer, so that guessing teaches nothing; after
/// <see cref="MaxFailures"/> wrong codes for one reference within <see cref="Window"/>, that
/// reference is locked for <see cref="Lockout"/>, whoever asks.
/// </summary>
public static class TravellerAccess
{
    public const int MaxFailures = 5;
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(15);
    public static readonly TimeSpan Lockout = TimeSpan.FromMinutes(15);

    public static ProblemDetails NoMatch => Problems.NotFound("No booking or request matches this reference and access code.");

    public static async Task<(Crossing? Crossing, ProblemDetails? Refused)> CrossingAsync(
        IQuerySession session, string? bookingReference, string? accessCode, DateTimeOffset now, CancellationToken ct)
    {
        if (bookingReference is null || !Codes.IsReference(bookingReference)) return (null, NoMatch);
        var reference = Codes.Normalise(bookingReference);
        if (await LockedAsync(session, reference, now, ct) is { } locked) return (null, locked);
        var crossing = await session.Query<Crossing>().FirstOrDefaultAsync(c => c.BookingReference == reference, ct);
        var ok = crossing is not null && Codes.AccessCodeMatches(crossing.Id, crossing.AccessCodeHash, accessCode);
        return await ConcludeAsync(session, reference, ok, now, ct) is { } refused ? (null, refused) : (crossing, null);
    }

    public static async Task<ProblemDetails?> LockedAsync(IQuerySession session, string reference, DateTimeOffset now, CancellationToken ct) =>
        await session.LoadAsync<AccessFailures>(reference, ct) is { LockedUntil: { } until } && until > now
            ? Problems.Make(429, "Too many attempts",
                $"Too many wrong access codes for {reference}: try again after {until:HH:mm} UTC, or call the Foundation's free line 080 000 23 23.")
            : null;

    /// <summary>Counts a wrong code (and locks the reference when there are too many); forgets them on success.</summary>
    public static async Task<ProblemDetails?> ConcludeAsync(IQuerySession query, string reference, bool succeeded, DateTimeOffset now, CancellationToken ct)
    {
        var failures = await query.LoadAsync<AccessFailures>(reference, ct);
        if (succeeded && failures is null) return null;
        await using var session = query.DocumentStore.LightweightSession();
        if (succeeded)
        {
            session.Delete<AccessFailures>(reference);
        }
        else
        {
            failures = failures is null || now - failures.FirstAt > Window ? new AccessFailures { Id = reference, FirstAt = now } : failures;
            failures.Count++;
            if (failures.Count >= MaxFailures) failures.LockedUntil = now + Lockout;
            session.Store(failures);
        }
        await session.SaveChangesAsync(ct);
        return succeeded ? null : NoMatch;
    }
}
