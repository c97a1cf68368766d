using System.Security.Claims;
using Marhaba.Crossings;
using Marhaba.Hosting;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Wolverine;
using Wolverine.Http;
using Wolverine.Marten;

namespace Marhaba.Sailings;

public static class CancelSailingEndpoint
{
    public static ProblemDetails Validate(CancelSailing command) => ChangeSailingEndpoints.RequireReason(command.Reason);

    /// <summary>
    /// Cancels a sailing that has not departed. Its crossings are then moved to the next sailings
    /// between the same ports that have room: the request to do so is stored with the cancellation,
    /// in the same transaction (durable outbox), so it is carried out even if the server stops now.
    /// </summary>
    [WolverinePost("/api/sailings/{sailingId}/cancellation", OperationId = "CancelSailing")]
    [Authorize(Policy = Policies.Planner)]
    [ProducesResponseType<SailingSummary>(200)]
    public static Task<(IResult, Events, OutgoingMessages)> Post(
        CancelSailing command, [SailingInRoute] Sailing s, IDocumentSession session, TimeProvider clock, ClaimsPrincipal user, SailingConsequences consequences, CancellationToken ct) =>
        consequences.AnswerAsync(session, s, SailingRules.Cancel(s, command, clock.GetUtcNow(), user.StaffId()), ct);
}
