using System.Security.Claims;
using Marhaba.Hosting;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Wolverine;
using Wolverine.Http;
using JasperFx.Events;

namespace Marhaba.Assistance;

public record AssignRequest(string? Agent);
public record AddNote(string? Text, bool? VisibleToTraveller);
public record TransferRequest(string? Place);
public record ResolveRequest(AssistanceOutcome? Outcome, string? Note);

public record AssistanceRequestChanged(Guid RequestId, string Reference, AssistanceStatus Status, string Place, string? Agent);

/// <summary>The shared path of an agent's action: check the agent's places, decide, append, answer from the request as it now stands.</summary>
public static class AgentDesk
{
    public static async Task<IResult> ActAsync(
        IDocumentSession session, IEventStream<AssistanceRequest> stream, ClaimsPrincipal user, Func<AssistanceRequest, Decision> decide, CancellationToken ct,
        Func<AssistanceRequest, object, Task>? alongside = null)
    {
        var (e, refused) = Decide(stream, user, decide);
        if (refused is not null) return refused.ToResult();
        var request = stream.Aggregate!;
        if (alongside is not null) await alongside(request, e!);
        var after = await session.AfterAsync(request, e!, ct);
        return Results.Ok(new AssistanceRequestChanged(after.Id, after.Reference, after.Status, after.Place, after.Agent));
    }

    /// <summary>Loads the request and decides (for the board page, which names the request by its id).</summary>
    public static async Task<(AssistanceRequest? Before, object? Event, ProblemDetails? Refused)> DecideAsync(
        IDocumentSession session, Guid requestId, ClaimsPrincipal user, Func<AssistanceRequest, Decision> decide, CancellationToken ct)
    {
        var stream = await session.Events.FetchForWriting<AssistanceRequest>(requestId, ct);
        if (stream.Aggregate is null) return (null, null, Problems.NotFound($"No assistance request {requestId}."));
        var (e, refused) = Decide(stream, user, decide);
        return (stream.Aggregate, e, refused);
    }

    private static (object? Event, ProblemDetails? Refused) Decide(IEventStream<AssistanceRequest> stream, ClaimsPrincipal user, Func<AssistanceRequest, Decision> decide)
    {
        var request = stream.Aggregate!;
        if (AssistanceRules.CanActOn(request, user) is { } forbidden) return (null, forbidden.ToProblem());
        var decision = decide(request);
        if (decision.Refused is { } refused) return (null, refused.ToProblem());
        stream.AppendOne(decision.Event!);
        return (decision.Event, null);
    }
}

public sealed class AssistanceRequestInRouteAttribute() : StreamInRouteAttribute("requestId", "No assistance request {0}.");

public static class AcknowledgeEndpoint
{
    [WolverinePost("/api/assistance/{requestId}/acknowledge", OperationId = "AcknowledgeAssistanceRequest")]
    [Authorize(Policy = Policies.Agent)]
    [ProducesResponseType<AssistanceRequestChanged>(200)]
    public static Task<IResult> Post([AssistanceRequestInRoute] IEventStream<AssistanceRequest> request, IDocumentSession session, TimeProvider clock, ClaimsPrincipal user, CancellationToken ct) =>
        AgentDesk.ActAsync(session, request, user, r => AssistanceRules.Acknowledge(r, user.StaffId(), clock.GetUtcNow()), ct);
}

public static class MarkAbusiveEndpoint
{
    /// <summary>An agent closes a traveller's request as abuse (a prank, a flood of walk-up requests).</summary>
    [WolverinePost("/api/assistance/{requestId}/abuse", OperationId = "MarkAssistanceRequestAbusive")]
    [Authorize(Policy = Policies.Agent)]
    [ProducesResponseType<AssistanceRequestChanged>(200)]
    public static Task<IResult> Post([AssistanceRequestInRoute] IEventStream<AssistanceRequest> request, IDocumentSession session, TimeProvider clock, ClaimsPrincipal user, CancellationToken ct) =>
        AgentDesk.ActAsync(session, request, user, r => AssistanceRules.MarkAbusive(r, user.StaffId(), clock.GetUtcNow()), ct);
}

public static class AssignEndpoint
{
    public static ProblemDetails Validate(AssignRequest command) =>
        command.Agent is { Length: > 100 } ? Problems.BadRequest("agent", "agent is at most 100 characters.") : WolverineContinue.NoProblems;

    /// <summary>Assigns the request to an agent of its place; with no agent named, the caller takes it.</summary>
    [WolverinePost("/api/assistance/{requestId}/assign", OperationId = "AssignAssistanceRequest")]
    [Authorize(Policy = Policies.Agent)]
    [ProducesResponseType<AssistanceRequestChanged>(200)]
    public static Task<IResult> Post(AssignRequest command, [AssistanceRequestInRoute] IEventStream<AssistanceRequest> request, IDocumentSession session, TimeProvider clock, ClaimsPrincipal user, CancellationToken ct) =>
        AgentDesk.ActAsync(session, request, user, r => AssistanceRules.Assign(r, command.Agent?.Trim() ?? user.StaffId(), user.StaffId(), clock.GetUtcNow()), ct);
}

public static class AddNoteEndpoint
{
    public static ProblemDetails Validate(AddNote command) =>
        string.IsNullOrWhiteSpace(command.Text) || command.Text.Length > OpeningRules.MaxDescription
            ? Problems.BadRequest("text", $"text is required, at most {OpeningRules.MaxDescription} characters.")
            : WolverineContinue.NoProblems;

    /// <summary>An agent notes what was done; a note visible to the traveller shows on their status page.</summary>
    [WolverinePost("/api/assistance/{requestId}/notes", OperationId = "AddAssistanceNote")]
    [Authorize(Policy = Policies.Agent)]
    [ProducesResponseType<AssistanceRequestChanged>(200)]
    public static Task<IResult> Post(AddNote command, [AssistanceRequestInRoute] IEventStream<AssistanceRequest> request, IDocumentSession session, TimeProvider clock, ClaimsPrincipal user, CancellationToken ct)
    {
        var noteId = Guid.CreateVersion7();
        var now = clock.GetUtcNow();
        return AgentDesk.ActAsync(session, request, user, r => AssistanceRules.AddNote(r, noteId, command.VisibleToTraveller ?? false, user.StaffId(), now), ct,
            (r, _) => Texts.AddNoteAsync(session, r.Id, new AssistanceNote(noteId, command.Text!.Trim(), user.StaffId(), now, command.VisibleToTraveller ?? false), ct));
    }
}

public static class TransferEndpoint
{
    public static ProblemDetails Validate(TransferRequest command) =>
        Places.Normalise(command.Place) is null
            ? Problems.BadRequest("place", "place is a port's UN/LOCODE (e.g. MAPTM) or SAILING:<sailing id>.")
            : WolverineContinue.NoProblems;

    /// <summary>Hands the request to the team of another place (a breakdown reported at Genova, followed up at Tanger Med).</summary>
    [WolverinePost("/api/assistance/{requestId}/transfer", OperationId = "TransferAssistanceRequest")]
    [Authorize(Policy = Policies.Agent)]
    [ProducesResponseType<AssistanceRequestChanged>(200)]
    public static Task<IResult> Post(TransferRequest command, [AssistanceRequestInRoute] IEventStream<AssistanceRequest> request, IDocumentSession session, TimeProvider clock, ClaimsPrincipal user, CancellationToken ct) =>
        AgentDesk.ActAsync(session, request, user, r => AssistanceRules.Transfer(r, Places.Normalise(command.Place)!, user.StaffId(), clock.GetUtcNow()), ct);
}

public static class EscalateEndpoint
{
    /// <summary>An agent raises the request's urgency one step: tighter time limits from now, checked when they fall due.</summary>
    [WolverinePost("/api/assistance/{requestId}/escalate", OperationId = "EscalateAssistanceRequest")]
    [Authorize(Policy = Policies.Agent)]
    [ProducesResponseType<AssistanceRequestChanged>(200)]
    public static async Task<(IResult, OutgoingMessages)> Post([AssistanceRequestInRoute] IEventStream<AssistanceRequest> request, IDocumentSession session, TimeProvider clock, ClaimsPrincipal user, CancellationToken ct)
    {
        var checks = new OutgoingMessages();
        var answer = await AgentDesk.ActAsync(session, request, user, r => AssistanceRules.RaiseUrgency(r, user.StaffId(), clock.GetUtcNow()), ct,
            (r, e) =>
            {
                foreach (var check in AssistanceRules.ChecksAfter(r, (AssistanceUrgencyRaised)e)) checks.Schedule(check, check.Deadline);
                return Task.CompletedTask;
            });
        return (answer, checks);
    }
}

public static class ResolveEndpoint
{
    public static ProblemDetails Validate(ResolveRequest command) =>
        command.Outcome is null ? Problems.BadRequest("outcome", $"outcome is required: one of {string.Join(", ", Enum.GetNames<AssistanceOutcome>())}.")
        : command.Note is { Length: > OpeningRules.MaxDescription } ? Problems.BadRequest("note", $"note is at most {OpeningRules.MaxDescription} characters.")
        : WolverineContinue.NoProblems;

    [WolverinePost("/api/assistance/{requestId}/resolve", OperationId = "ResolveAssistanceRequest")]
    [Authorize(Policy = Policies.Agent)]
    [ProducesResponseType<AssistanceRequestChanged>(200)]
    public static Task<IResult> Post(ResolveRequest command, [AssistanceRequestInRoute] IEventStream<AssistanceRequest> request, IDocumentSession session, TimeProvider clock, ClaimsPrincipal user, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        return AgentDesk.ActAsync(session, request, user, r => AssistanceRules.Resolve(r, command.Outcome!.Value, user.StaffId(), now), ct,
            (r, _) => string.IsNullOrWhiteSpace(command.Note) ? Task.CompletedTask
                : Texts.AddNoteAsync(session, r.Id, new AssistanceNote(Guid.CreateVersion7(), command.Note.Trim(), user.StaffId(), now, true), ct));
    }
}

public static class CloseEndpoint
{
    [WolverinePost("/api/assistance/{requestId}/close", OperationId = "CloseAssistanceRequest")]
    [Authorize(Policy = Policies.Agent)]
    [ProducesResponseType<AssistanceRequestChanged>(200)]
    public static Task<IResult> Post([AssistanceRequestInRoute] IEventStream<AssistanceRequest> request, IDocumentSession session, TimeProvider clock, ClaimsPrincipal user, CancellationToken ct) =>
        AgentDesk.ActAsync(session, request, user, r => AssistanceRules.Close(r, user.StaffId(), clock.GetUtcNow()), ct);
}

public static class Texts
{
    public static async Task AddNoteAsync(IDocumentSession session, Guid requestId, AssistanceNote note, CancellationToken ct)
    {
        var text = await session.LoadAsync<AssistanceText>(requestId, ct) ?? new AssistanceText { Id = requestId };
        text.Notes.Add(note);
        session.Store(text);
    }
}

/// <summary>When a time limit falls due: escalate if it passed unmet. Runs once per limit, on one node.</summary>
public static class CheckAssistanceTimeLimitHandler
{
    public static async Task<OutgoingMessages> Handle(CheckAssistanceTimeLimit message, IDocumentSession session, TimeProvider clock, CancellationToken ct)
    {
        var later = new OutgoingMessages();
        var stream = await session.Events.FetchForWriting<AssistanceRequest>(message.AssistanceRequestId, ct);
        if (stream.Aggregate is not { } request) return later;
        // A reopened request has new deadlines with their own messages; this one is then stale.
        var deadline = message.Limit == TimeLimit.Acknowledge ? request.AcknowledgeBy : request.ResolveBy;
        if (deadline != message.Deadline) return later;
        var now = clock.GetUtcNow();
        // Fired early by a clock that runs ahead of business time: look again when the deadline is really due.
        if (now < deadline) later.Delay(message, SimulatedClock.RealDelay(clock, deadline - now));
        else if (AssistanceRules.Escalate(request, message.Limit, now) is { } escalated) stream.AppendOne(escalated);
        return later;
    }
}
