using Marhaba.Hosting;
using Marten;
using Microsoft.AspNetCore.Mvc;

namespace Marhaba.Crossings;

/// <summary>
/// Travellers have no account: a reference and its access code are their key. An unknown reference
/// and a wrong code get the same answer, so that guessing teaches nothing.
/// </summary>
public static class TravellerAccess
{
    public static ProblemDetails NoMatch => Problems.NotFound("No booking or request matches this reference and access code.");

    public static async Task<Crossing?> CrossingAsync(IQuerySession session, string? bookingReference, string? accessCode, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(bookingReference)) return null;
        var reference = Codes.Normalise(bookingReference);
        var crossing = await session.Query<Crossing>().FirstOrDefaultAsync(c => c.BookingReference == reference, ct);
        return crossing is not null && Codes.AccessCodeMatches(crossing.Id, crossing.AccessCodeHash, accessCode) ? crossing : null;
    }
}
