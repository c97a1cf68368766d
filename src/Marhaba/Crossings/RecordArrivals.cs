using System.Security.Claims;
using Marhaba.Hosting;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace Marhaba.Crossings;

/// <summary>A whole ship's arrivals at once; each item succeeds or fails on its own.</summary>
public record RecordArrivals(List<CrossingAtPort?>? Items);

public record ArrivalItemResult(int Index, string? BookingReference, Guid? CrossingId, bool Recorded, CrossingStatus? Status, int? Problem, string? Reason);

public record RecordArrivalsResponse(int Recorded, int Refused, List<ArrivalItemResult> Items);

public static class RecordArrivalsEndpoint
{
    public const int MaxItems = 2000;

    public static ProblemDetails Validate(string port, RecordArrivals request, ClaimsPrincipal user)
    {
        var portProblem = PortDesk.CheckPort(port, user);
        if (portProblem != WolverineContinue.NoProblems) return portProblem;
        if (request.Items is null || request.Items.Count == 0)
            return Problems.BadRequest("items", "items must list at least one arrival.");
        if (request.Items.Count > MaxItems)
            return Problems.BadRequest("items", $"At most {MaxItems} arrivals per batch; split the list.");
        return WolverineContinue.NoProblems;
    }

    [WolverinePost("/api/ports/{port}/arrivals/batch", OperationId = "RecordArrivals")]
    [Authorize(Policy = Policies.PortStaff)]
    [ProducesResponseType<RecordArrivalsResponse>(200)]
    public static async Task<RecordArrivalsResponse> Post(
        string port, RecordArrivals request, IDocumentSession session, TimeProvider clock, ClaimsPrincipal user, CancellationToken ct)
    {
        port = PortDesk.Normalised(port);
        var now = clock.GetUtcNow();
        var staff = user.StaffId();
        var seen = new HashSet<Guid>();
        var results = new List<ArrivalItemResult>(request.Items!.Count);

        for (var i = 0; i < request.Items.Count; i++)
        {
            var item = request.Items[i];
            if (PortDesk.ValidateItem(item, now, $"items[{i}].") is { } invalid)
            {
                results.Add(Refused(i, item, null, invalid));
                continue;
            }

            var (done, refused) = await PortDesk.DecideAndAppendAsync(session, port, item!, now, (c, at) =>
                !seen.Add(c.Id)
                    ? Problems.Conflict($"Crossing {c.BookingReference} appears more than once in this batch.")
                    : RecordArrivalEndpoint.Arrive(c, port, item!.Lane, at, staff), ct);

            results.Add(done is not null
                ? new ArrivalItemResult(i, done.BookingReference, done.CrossingId, true, done.Status, null, null)
                : Refused(i, item, null, refused!));
        }

        var recorded = results.Count(r => r.Recorded);
        return new RecordArrivalsResponse(recorded, results.Count - recorded, results);
    }

    private static ArrivalItemResult Refused(int index, CrossingAtPort? item, Guid? id, ProblemDetails why) =>
        new(index, item?.BookingReference, id, false, null, why.Status, why.Detail);
}
