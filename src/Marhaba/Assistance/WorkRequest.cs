using System.Security.Claims;
using Marhaba.Hosting;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Wolverine;
using Wolverine.Http;
using Wolverine.Marten;

namespace Marhaba.Assistance;

/// <summary>What an agent does to a request: the body of each action's endpoint, and the step the board page sends.</summary>
public interface IAgentStep;
public record AcknowledgeRequest : IAgentStep;
public record AssignRequest(string? Agent) : IAgentStep;
public record AddNote(string? Text, bool? VisibleToTraveller) : IAgentStep;
public record TransferRequest(string? Place) : IAgentStep;
public record EscalateRequest : IAgentStep;
public record ResolveRequest(AssistanceOutcome? Outcome, string? Note) : IAgentStep;
public record CloseRequest : IAgentStep;
public record MarkRequestAbusive : IAgentStep;

public record AssistanceRequestChanged(Guid RequestId, string Reference, AssistanceStatus Status, string Place, string? Agent)
{
    public static AssistanceRequestChanged Of(AssistanceRequest r) => new(r.Id, r.Reference, r.Status, r.Place, r.Agent);
}

/// <summary>
/// An agent's action, in one shape: Wolverine loads the request for writing (from the route, or the board's command),
/// <see cref="MayAct"/> checks it is on the agent's board, the step's pure rule decides, and the answer is the request
/// as the event leaves it.
/// </summary>
public static class AgentActions
{
    public static ProblemDetails MayAct(AssistanceRequest request, ClaimsPrincipal user) =>
        AssistanceRules.CanActOn(request, user)?.ToProblem() ?? WolverineContinue.NoProblems;

    public static async Task<(IResult, Events, OutgoingMessages)> ActAsync(
        IDocumentSession session, AssistanceRequest request, IAgentStep step, ClaimsPrincipal user, TimeProvider clock, CancellationToken ct)
    {
        var (decision, checks) = await DecideAsync(session, request, step, user.StaffId(), clock.GetUtcNow(), ct);
        var (answer, events) = await session.AnswerAsync(request, decision, AssistanceRequestChanged.Of, ct);
        return (answer, events, checks);
    }

    /// <summary>The step's rule; beside its event, a note's text kept apart (erasable) and the checks of new time limits.</summary>
    public static async Task<(Decision, OutgoingMessages)> DecideAsync(
        IDocumentSession session, AssistanceRequest request, IAgentStep step, string by, DateTimeOffset now, CancellationToken ct)
    {
        var noteId = Guid.CreateVersion7();
        var decision = step switch
        {
            AcknowledgeRequest => AssistanceRules.Acknowledge(request, by, now),
            AssignRequest a => AssistanceRules.Assign(request, a.Agent?.Trim() ?? by, by, now),
            AddNote n => AssistanceRules.AddNote(request, noteId, n.VisibleToTraveller ?? false, by, now),
            TransferRequest t => AssistanceRules.Transfer(request, Places.Normalise(t.Place)!, by, now),
            EscalateRequest => AssistanceRules.RaiseUrgency(request, by, now),
            ResolveRequest r => AssistanceRules.Resolve(request, r.Outcome!.Value, by, now),
            CloseRequest => AssistanceRules.Close(request, by, now),
            MarkRequestAbusive => AssistanceRules.MarkAbusive(request, by, now),
            _ => throw new ArgumentOutOfRangeException(nameof(step), step, "Not an agent's step.")
        };
        if (decision.Event is null) return (decision, []);
        var note = step switch
        {
            AddNote n => new AssistanceNote(noteId, n.Text!.Trim(), by, now, n.VisibleToTraveller ?? false),
            ResolveRequest { Note: { } text } when !string.IsNullOrWhiteSpace(text) => new AssistanceNote(noteId, text.Trim(), by, now, true),
            _ => null
        };
        if (note is not null) await Texts.AddNoteAsync(session, request.Id, note, ct);
        var messages = AssistanceRules.ChecksAfter(request.Id, request.AcknowledgedAt is not null, decision.Event);
        if (Notices.NoticeRules.TellAfter(request, decision.Event) is { } tell) messages.Add(tell);
        return (decision, messages);
    }
}

/// <summary>An agent's step sent from the board page through Wolverine: the same rules and the same one transaction as the API's.</summary>
public record ActOnAssistanceRequest(Guid AssistanceRequestId, IAgentStep Step, ClaimsPrincipal Agent);

public record AgentActionOutcome(AssistanceRequestChanged? Changed, string? Refused);

public static class ActOnAssistanceRequestHandler
{
    public static async Task<(AgentActionOutcome, Events, OutgoingMessages)> Handle(
        ActOnAssistanceRequest command, [WriteAggregate] AssistanceRequest request, IDocumentSession session, TimeProvider clock, CancellationToken ct)
    {
        if (AssistanceRules.CanActOn(request, command.Agent) is { } forbidden) return (new(null, forbidden.Message), [], []);
        var (decision, checks) = await AgentActions.DecideAsync(session, request, command.Step, command.Agent.StaffId(), clock.GetUtcNow(), ct);
        if (decision.Refused is { } refused) return (new(null, refused.Message), [], []);
        return (new(AssistanceRequestChanged.Of(await session.AfterAsync(request, decision.Event!, ct)), null), [decision.Event!], checks);
    }
}

public sealed class AssistanceRequestInRouteAttribute() : StreamInRouteAttribute("requestId", "No assistance request {0}.");

public static class AcknowledgeEndpoint
{
    public static ProblemDetails Before(AssistanceRequest request, ClaimsPrincipal user) => AgentActions.MayAct(request, user);

    [WolverinePost("/api/assistance/{requestId}/acknowledge", OperationId = "AcknowledgeAssistanceRequest")]
    [Authorize(Policy = Policies.Agent)]
    [ProducesResponseType<AssistanceRequestChanged>(200)]
    public static Task<(IResult, Events, OutgoingMessages)> Post([AssistanceRequestInRoute] AssistanceRequest request, IDocumentSession session, TimeProvider clock, ClaimsPrincipal user, CancellationToken ct) =>
        AgentActions.ActAsync(session, request, new AcknowledgeRequest(), user, clock, ct);
}

public static class MarkAbusiveEndpoint
{
    public static ProblemDetails Before(AssistanceRequest request, ClaimsPrincipal user) => AgentActions.MayAct(request, user);

    /// <summary>An agent closes a traveller's request as abuse (a prank, a flood of walk-up requests).</summary>
    [WolverinePost("/api/assistance/{requestId}/abuse", OperationId = "MarkAssistanceRequestAbusive")]
    [Authorize(Policy = Policies.Agent)]
    [ProducesResponseType<AssistanceRequestChanged>(200)]
    public static Task<(IResult, Events, OutgoingMessages)> Post([AssistanceRequestInRoute] AssistanceRequest request, IDocumentSession session, TimeProvider clock, ClaimsPrincipal user, CancellationToken ct) =>
        AgentActions.ActAsync(session, request, new MarkRequestAbusive(), user, clock, ct);
}

public static class AssignEndpoint
{
    public static ProblemDetails Validate(AssignRequest command) =>
        command.Agent is { Length: > 100 } ? Problems.BadRequest("agent", "agent is at most 100 characters.") : WolverineContinue.NoProblems;

    public static ProblemDetails Before(AssistanceRequest request, ClaimsPrincipal user) => AgentActions.MayAct(request, user);

    /// <summary>Assigns the request to an agent of its place; with no agent named, the caller takes it.</summary>
    [WolverinePost("/api/assistance/{requestId}/assign", OperationId = "AssignAssistanceRequest")]
    [Authorize(Policy = Policies.Agent)]
    [ProducesResponseType<AssistanceRequestChanged>(200)]
    public static Task<(IResult, Events, OutgoingMessages)> Post(AssignRequest command, [AssistanceRequestInRoute] AssistanceRequest request, IDocumentSession session, TimeProvider clock, ClaimsPrincipal user, CancellationToken ct) =>
        AgentActions.ActAsync(session, request, command, user, clock, ct);
}

public static class AddNoteEndpoint
{
    public static ProblemDetails Validate(AddNote command) =>
        string.IsNullOrWhiteSpace(command.Text) || command.Text.Length > OpeningRules.MaxDescription
            ? Problems.BadRequest("text", $"text is required, at most {OpeningRules.MaxDescription} characters.")
            : WolverineContinue.NoProblems;

    public static ProblemDetails Before(AssistanceRequest request, ClaimsPrincipal user) => AgentActions.MayAct(request, user);

    /// <summary>An agent notes what was done; a note visible to the traveller shows on their status page.</summary>
    [WolverinePost("/api/assistance/{requestId}/notes", OperationId = "AddAssistanceNote")]
    [Authorize(Policy = Policies.Agent)]
    [ProducesResponseType<AssistanceRequestChanged>(200)]
    public static Task<(IResult, Events, OutgoingMessages)> Post(AddNote command, [AssistanceRequestInRoute] AssistanceRequest request, IDocumentSession session, TimeProvider clock, ClaimsPrincipal user, CancellationToken ct) =>
        AgentActions.ActAsync(session, request, command, user, clock, ct);
}

public static class TransferEndpoint
{
    public static ProblemDetails Validate(TransferRequest command) =>
        Places.Normalise(command.Place) is null
            ? Problems.BadRequest("place", "place is a port's UN/LOCODE (e.g. MAPTM) or SAILING:<sailing id>.")
            : WolverineContinue.NoProblems;

    public static ProblemDetails Before(AssistanceRequest request, ClaimsPrincipal user) => AgentActions.MayAct(request, user);

    /// <summary>Hands the request to the team of another place (a breakdown reported at Genova, followed up at Tanger Med).</summary>
    [WolverinePost("/api/assistance/{requestId}/transfer", OperationId = "TransferAssistanceRequest")]
    [Authorize(Policy = Policies.Agent)]
    [ProducesResponseType<AssistanceRequestChanged>(200)]
    public static Task<(IResult, Events, OutgoingMessages)> Post(TransferRequest command, [AssistanceRequestInRoute] AssistanceRequest request, IDocumentSession session, TimeProvider clock, ClaimsPrincipal user, CancellationToken ct) =>
        AgentActions.ActAsync(session, request, command, user, clock, ct);
}

public static class EscalateEndpoint
{
    public static ProblemDetails Before(AssistanceRequest request, ClaimsPrincipal user) => AgentActions.MayAct(request, user);

    /// <summary>An agent raises the request's urgency one step: tighter time limits from now, checked when they fall due.</summary>
    [WolverinePost("/api/assistance/{requestId}/escalate", OperationId = "EscalateAssistanceRequest")]
    [Authorize(Policy = Policies.Agent)]
    [ProducesResponseType<AssistanceRequestChanged>(200)]
    public static Task<(IResult, Events, OutgoingMessages)> Post([AssistanceRequestInRoute] AssistanceRequest request, IDocumentSession session, TimeProvider clock, ClaimsPrincipal user, CancellationToken ct) =>
        AgentActions.ActAsync(session, request, new EscalateRequest(), user, clock, ct);
}

public static class ResolveEndpoint
{
    public static ProblemDetails Validate(ResolveRequest command) =>
        command.Outcome is null ? Problems.BadRequest("outcome", $"outcome is required: one of {string.Join(", ", Enum.GetNames<AssistanceOutcome>())}.")
        : command.Note is { Length: > OpeningRules.MaxDescription } ? Problems.BadRequest("note", $"note is at most {OpeningRules.MaxDescription} characters.")
        : WolverineContinue.NoProblems;

    public static ProblemDetails Before(AssistanceRequest request, ClaimsPrincipal user) => AgentActions.MayAct(request, user);

    [WolverinePost("/api/assistance/{requestId}/resolve", OperationId = "ResolveAssistanceRequest")]
    [Authorize(Policy = Policies.Agent)]
    [ProducesResponseType<AssistanceRequestChanged>(200)]
    public static Task<(IResult, Events, OutgoingMessages)> Post(ResolveRequest command, [AssistanceRequestInRoute] AssistanceRequest request, IDocumentSession session, TimeProvider clock, ClaimsPrincipal user, CancellationToken ct) =>
        AgentActions.ActAsync(session, request, command, user, clock, ct);
}

public static class CloseEndpoint
{
    public static ProblemDetails Before(AssistanceRequest request, ClaimsPrincipal user) => AgentActions.MayAct(request, user);

    [WolverinePost("/api/assistance/{requestId}/close", OperationId = "CloseAssistanceRequest")]
    [Authorize(Policy = Policies.Agent)]
    [ProducesResponseType<AssistanceRequestChanged>(200)]
    public static Task<(IResult, Events, OutgoingMessages)> Post([AssistanceRequestInRoute] AssistanceRequest request, IDocumentSession session, TimeProvider clock, ClaimsPrincipal user, CancellationToken ct) =>
        AgentActions.ActAsync(session, request, new CloseRequest(), user, clock, ct);
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
    public static (Events, OutgoingMessages) Handle(CheckAssistanceTimeLimit message, [WriteAggregate(Required = false)] AssistanceRequest? request, TimeProvider clock)
    {
        // A reopened or escalated request has new deadlines with their own messages; this one is then stale.
        var deadline = message.Limit == TimeLimit.Acknowledge ? request?.AcknowledgeBy : request?.ResolveBy;
        if (request is null || deadline != message.Deadline) return ([], []);
        var now = clock.GetUtcNow();
        if (now >= deadline) return (AssistanceRules.Escalate(request, message.Limit, now) is { } escalated ? [escalated] : [], []);
        // Fired early by a clock that runs ahead of business time: look again when the deadline is really due.
        var later = new OutgoingMessages();
        later.Delay(message, SimulatedClock.RealDelay(clock, deadline.Value - now));
        return ([], later);
    }
}
