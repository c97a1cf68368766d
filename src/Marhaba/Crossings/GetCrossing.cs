using Marhaba.Hosting;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;
using Wolverine.Http.Marten;

namespace Marhaba.Crossings;

public static class GetCrossingEndpoint
{
    /// <summary>A crossing as staff see it (read-your-write: the view is kept in the same transaction as its events).</summary>
    [WolverineGet("/api/crossings/{crossingId}", OperationId = "GetCrossing")]
    [Authorize(Policy = Policies.Staff)]
    public static Crossing Get([Document("crossingId")] Crossing crossing) => crossing;

    /// <summary>Find a crossing by its booking reference.</summary>
    [WolverineGet("/api/crossings", OperationId = "FindCrossing")]
    [Authorize(Policy = Policies.Staff)]
    [ProducesResponseType<Crossing>(200)]
    [ProducesResponseType<ProblemDetails>(404)]
    public static async Task<IResult> Find(string? reference, IQuerySession session, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(reference) || reference.Length > 32)
            return Problems.BadRequest("reference", "reference (a booking reference) is required.").ToResult();
        var normalised = Codes.Normalise(reference);
        var crossing = await session.Query<Crossing>().FirstOrDefaultAsync(c => c.BookingReference == normalised, ct);
        return crossing is null ? Problems.NotFound($"No crossing with booking reference {normalised}.").ToResult() : Results.Ok(crossing);
    }
}
