using Wolverine;
using System.Text.Json.Serialization;
using Marhaba.Crossings;
using Marhaba.Hosting;
using Marhaba.Ports;

namespace Marhaba.Assistance;

/// <summary>The kinds of help the Foundation's teams give (FM5 case types).</summary>
public enum AssistanceCategory
{
    [JsonStringEnumMemberName("Medical")] Medical,
    [JsonStringEnumMemberName("VehicleBreakdown")] VehicleBreakdown,
    [JsonStringEnumMemberName("LostDocuments")] LostDocuments,
    [JsonStringEnumMemberName("AdministrativeAndCustoms")] AdministrativeAndCustoms,
    [JsonStringEnumMemberName("SocialOrFamily")] SocialOrFamily,
    [JsonStringEnumMemberName("DeathAndRepatriation")] DeathAndRepatriation,
    [JsonStringEnumMemberName("Information")] Information,
}

public enum Urgency
{
    [JsonStringEnumMemberName("Critical")] Critical,
    [JsonStringEnumMemberName("High")] High,
    [JsonStringEnumMemberName("Normal")] Normal,
}

public enum ContactChannel
{
    [JsonStringEnumMemberName("Phone")] Phone,
    [JsonStringEnumMemberName("Sms")] Sms,
    [JsonStringEnumMemberName("WhatsApp")] WhatsApp,
    [JsonStringEnumMemberName("Email")] Email,
    [JsonStringEnumMemberName("InPerson")] InPerson,
}

public enum AssistanceOutcome
{
    [JsonStringEnumMemberName("Solved")] Solved,
    [JsonStringEnumMemberName("ReferredToPartner")] ReferredToPartner,
    [JsonStringEnumMemberName("HospitalTransfer")] HospitalTransfer,
    [JsonStringEnumMemberName("Repatriated")] Repatriated,
    [JsonStringEnumMemberName("NoActionNeeded")] NoActionNeeded,
    [JsonStringEnumMemberName("CouldNotReach")] CouldNotReach,
}

public enum AssistanceStatus { Opened, Acknowledged, Assigned, Resolved, Closed, Cancelled }

public enum TimeLimit
{
    [JsonStringEnumMemberName("Acknowledge")] Acknowledge,
    [JsonStringEnumMemberName("Resolve")] Resolve,
}

public enum Language
{
    [JsonStringEnumMemberName("ar")] ar,
    [JsonStringEnumMemberName("fr")] fr,
    [JsonStringEnumMemberName("it")] it,
    [JsonStringEnumMemberName("en")] en,
}

// Events of an assistance request's stream. No names, phones or free text: the person's contact
// lives in AssistanceContact and the texts in AssistanceText, both erasable documents.

public record AssistanceRequestOpened(
    Guid RequestId, string Reference, AssistanceCategory Category, Urgency Urgency, string Place,
    Guid? CrossingId, Language Language, ContactChannel? ContactChannel, string OpenedBy, bool OpenedByTraveller,
    DateTimeOffset OpenedAt, DateTimeOffset AcknowledgeBy, DateTimeOffset ResolveBy, string? ArrivalPort = null);

public record AssistanceRequestAcknowledged(string By, DateTimeOffset At, AssistanceCategory Category, string Place, double SecondsSinceOpened);

public record AssistanceRequestAssigned(string Place, string? Agent, string By, DateTimeOffset At);

public record AssistanceNoteAdded(Guid NoteId, string By, DateTimeOffset At, bool VisibleToTraveller);

public record AssistanceRequestTransferred(string FromPlace, string ToPlace, string By, DateTimeOffset At);

public record AssistanceRequestEscalated(TimeLimit Limit, DateTimeOffset Deadline, DateTimeOffset At);

/// <summary>An agent judged the case more urgent than it was opened as: the tighter limits of the new urgency, from now.</summary>
public record AssistanceUrgencyRaised(Urgency From, Urgency To, DateTimeOffset AcknowledgeBy, DateTimeOffset ResolveBy, string By, DateTimeOffset At);

public record AssistanceRequestResolved(AssistanceOutcome Outcome, string By, DateTimeOffset At, AssistanceCategory Category, string Place, double SecondsSinceOpened);

public record AssistanceRequestClosed(string By, DateTimeOffset At);

public record AssistanceRequestReopened(DateTimeOffset At, DateTimeOffset AcknowledgeBy, DateTimeOffset ResolveBy);

public record AssistanceRequestCancelled(DateTimeOffset At);

/// <summary>An agent judged a traveller's request to be abuse (a prank, a flood): closed, and counted as such.</summary>
public record AssistanceRequestMarkedAbusive(string By, DateTimeOffset At);

/// <summary>The request's texts, contact and kept answers were erased; the request stays, anonymous.</summary>
public record AssistanceDataErased(DateTimeOffset At, string By, Privacy.ErasureReason Reason);

/// <summary>
/// One person's or party's request for help, worked by the Foundation's agents at a place (a port
/// by UN/LOCODE, or aboard a sailing as "SAILING:&lt;id&gt;") within time limits set by urgency and category.
/// </summary>
public class AssistanceRequest
{
    public Guid Id { get; set; }
    public int Version { get; set; }
    public string Reference { get; set; } = "";
    public AssistanceCategory Category { get; set; }
    public Urgency Urgency { get; set; }
    public string Place { get; set; } = "";
    public Guid? CrossingId { get; set; }
    public Language Language { get; set; }
    public AssistanceStatus Status { get; set; }
    public string? Agent { get; set; }
    public DateTimeOffset OpenedAt { get; set; }
    public DateTimeOffset AcknowledgeBy { get; set; }
    public DateTimeOffset ResolveBy { get; set; }
    public DateTimeOffset? AcknowledgedAt { get; set; }
    public DateTimeOffset? ResolvedAt { get; set; }
    public AssistanceOutcome? Outcome { get; set; }
    public DateTimeOffset LastUpdateAt { get; set; }
    public List<TimeLimit> Escalations { get; set; } = [];
    public int Reopened { get; set; }
    public bool OpenedByTraveller { get; set; }
    public bool Abusive { get; set; }
    public bool Erased { get; set; }
    /// <summary>Notes an agent wrote for the traveller to read.</summary>
    public int NotesForTraveller { get; set; }

    public bool IsOpen => Status is AssistanceStatus.Opened or AssistanceStatus.Acknowledged or AssistanceStatus.Assigned;
    /// <summary>Aboard, the sailing's arrival port (whose agents meet the ship).</summary>
    public string? ArrivalPort { get; set; }
    /// <summary>Whose board it is on: the place, or for a request opened aboard, the sailing's arrival port.</summary>
    public string Board => Place.StartsWith(Places.AboardPrefix) && ArrivalPort is not null ? ArrivalPort : Place;

    public static AssistanceRequest Create(AssistanceRequestOpened e) => new()
    {
        Id = e.RequestId, Reference = e.Reference, Category = e.Category, Urgency = e.Urgency,
        Place = e.Place, CrossingId = e.CrossingId, Language = e.Language, Status = AssistanceStatus.Opened, OpenedAt = e.OpenedAt,
        AcknowledgeBy = e.AcknowledgeBy, ResolveBy = e.ResolveBy, LastUpdateAt = e.OpenedAt, OpenedByTraveller = e.OpenedByTraveller,
        ArrivalPort = e.ArrivalPort
    };

    public void Apply(AssistanceRequestAcknowledged e) { Status = AssistanceStatus.Acknowledged; AcknowledgedAt = e.At; LastUpdateAt = e.At; }
    public void Apply(AssistanceRequestAssigned e) { Status = AssistanceStatus.Assigned; Place = e.Place; Agent = e.Agent; LastUpdateAt = e.At; AcknowledgedAt ??= e.At; }
    public void Apply(AssistanceNoteAdded e) { LastUpdateAt = e.At; if (e.VisibleToTraveller) NotesForTraveller++; }
    public void Apply(AssistanceRequestTransferred e) { Place = e.ToPlace; Agent = null; LastUpdateAt = e.At; if (Status == AssistanceStatus.Assigned) Status = AssistanceStatus.Acknowledged; }
    public void Apply(AssistanceRequestEscalated e) { Escalations.Add(e.Limit); LastUpdateAt = e.At; }
    public void Apply(AssistanceUrgencyRaised e) { Urgency = e.To; AcknowledgeBy = e.AcknowledgeBy; ResolveBy = e.ResolveBy; LastUpdateAt = e.At; }
    public void Apply(AssistanceRequestResolved e) { Status = AssistanceStatus.Resolved; ResolvedAt = e.At; Outcome = e.Outcome; LastUpdateAt = e.At; }
    public void Apply(AssistanceRequestClosed e) { Status = AssistanceStatus.Closed; LastUpdateAt = e.At; }
    public void Apply(AssistanceRequestCancelled e) { Status = AssistanceStatus.Cancelled; LastUpdateAt = e.At; }
    public void Apply(AssistanceRequestMarkedAbusive e) { Status = AssistanceStatus.Closed; Abusive = true; LastUpdateAt = e.At; }
    public void Apply(AssistanceDataErased e) => Erased = true;

    public void Apply(AssistanceRequestReopened e)
    {
        Status = Agent is null ? AssistanceStatus.Acknowledged : AssistanceStatus.Assigned;
        ResolvedAt = null; Outcome = null; Reopened++; LastUpdateAt = e.At;
        AcknowledgeBy = e.AcknowledgeBy; ResolveBy = e.ResolveBy;
        Escalations.Remove(TimeLimit.Resolve);
    }

    public bool Overdue(DateTimeOffset now) =>
        IsOpen && ((AcknowledgedAt is null && now > AcknowledgeBy) || now > ResolveBy);
}

/// <summary>
/// How fast a request must be acknowledged and resolved. By urgency: critical 5 minutes / 2 hours,
/// high 15 minutes / 8 hours, normal 1 hour / 48 hours. A medical case is acknowledged in half the
/// time (a critical one within 2 minutes, resolved — handed to a doctor or hospital — within 1 hour);
/// a death and repatriation takes days of consular procedure, so 72 hours to resolve.
/// </summary>
public static class TimeLimits
{
    public static (TimeSpan Acknowledge, TimeSpan Resolve) For(AssistanceCategory category, Urgency urgency)
    {
        var (ack, resolve) = urgency switch
        {
            Urgency.Critical => (TimeSpan.FromMinutes(5), TimeSpan.FromHours(2)),
            Urgency.High => (TimeSpan.FromMinutes(15), TimeSpan.FromHours(8)),
            _ => (TimeSpan.FromHours(1), TimeSpan.FromHours(48))
        };
        return category switch
        {
            AssistanceCategory.Medical when urgency == Urgency.Critical => (TimeSpan.FromMinutes(2), TimeSpan.FromHours(1)),
            AssistanceCategory.Medical => (ack / 2, resolve),
            AssistanceCategory.DeathAndRepatriation => (ack, TimeSpan.FromHours(72)),
            _ => (ack, resolve)
        };
    }
}

/// <summary>Places where the Foundation helps: the ports of the operation, or aboard a sailing.</summary>
public static class Places
{
    public const string AboardPrefix = "SAILING:";

    public static string? Normalise(string? place)
    {
        if (string.IsNullOrWhiteSpace(place)) return null;
        if (ReferenceData.TryGetPort(place, out var port)) return port.Code;
        return place.StartsWith(AboardPrefix, StringComparison.OrdinalIgnoreCase) && Guid.TryParse(place[AboardPrefix.Length..], out var sailing)
            ? AboardPrefix + sailing
            : null;
    }

    public static string Aboard(Guid sailingId) => AboardPrefix + sailingId;

    /// <summary>The place's local day: a port's own; aboard, the operation's (Morocco's).</summary>
    public static DateOnly LocalDay(string place, DateTimeOffset at) =>
        (ReferenceData.TryGetPort(place, out var port) ? port : ReferenceData.Home).LocalDay(at);
}

/// <summary>The rules of a request's life, as pure decisions.</summary>
public static class AssistanceRules
{
    public static readonly TimeSpan ReopenWithin = TimeSpan.FromDays(7);

    public static Decision Acknowledge(AssistanceRequest r, string by, DateTimeOffset now) =>
        r.Status != AssistanceStatus.Opened
            ? Refusal.Conflict($"Request {r.Reference} is already {Describe(r)}; it is acknowledged once.")
            : Decision.Append(new AssistanceRequestAcknowledged(by, now, r.Category, r.Board, (now - r.OpenedAt).TotalSeconds));

    public static Decision Assign(AssistanceRequest r, string? agent, string by, DateTimeOffset now) =>
        !r.IsOpen
            ? Refusal.Conflict($"Request {r.Reference} is {Describe(r)}; only an open request is assigned.")
            : r.Status == AssistanceStatus.Assigned && r.Agent == agent
                ? Refusal.Conflict($"Request {r.Reference} is already assigned to {agent ?? "the team"}.")
                : Decision.Append(new AssistanceRequestAssigned(r.Place, agent, by, now));

    public static Decision AddNote(AssistanceRequest r, Guid noteId, bool visible, string by, DateTimeOffset now) =>
        r.Status is AssistanceStatus.Closed or AssistanceStatus.Cancelled
            ? Refusal.Conflict($"Request {r.Reference} is {Describe(r)}; notes go on open or resolved requests.")
            : Decision.Append(new AssistanceNoteAdded(noteId, by, now, visible));

    public static Decision Transfer(AssistanceRequest r, string to, string by, DateTimeOffset now) =>
        !r.IsOpen ? Refusal.Conflict($"Request {r.Reference} is {Describe(r)}; only an open request is transferred.")
        : r.Place == to ? Refusal.Conflict($"Request {r.Reference} is already at {to}.")
        : Decision.Append(new AssistanceRequestTransferred(r.Place, to, by, now));

    /// <summary>One step up (normal → high → critical); a deadline only ever comes nearer.</summary>
    public static Decision RaiseUrgency(AssistanceRequest r, string by, DateTimeOffset now)
    {
        if (!r.IsOpen) return Refusal.Conflict($"Request {r.Reference} is {Describe(r)}; only an open request is escalated.");
        if (r.Urgency == Urgency.Critical) return Refusal.Conflict($"Request {r.Reference} is already critical: call the duty manager.");
        var to = r.Urgency == Urgency.Normal ? Urgency.High : Urgency.Critical;
        var (ack, resolve) = TimeLimits.For(r.Category, to);
        var acknowledgeBy = r.AcknowledgedAt is null && now + ack < r.AcknowledgeBy ? now + ack : r.AcknowledgeBy;
        return Decision.Append(new AssistanceUrgencyRaised(r.Urgency, to, acknowledgeBy, now + resolve < r.ResolveBy ? now + resolve : r.ResolveBy, by, now));
    }

    /// <summary>The checks, each scheduled for its deadline, that escalate a request if the deadlines an event set pass unmet.</summary>
    public static OutgoingMessages ChecksAfter(Guid requestId, bool acknowledged, object? e)
    {
        // Due at the deadlines; a check that fires before its deadline (clocks apart) waits for it again.
        var checks = new OutgoingMessages();
        void Check(TimeLimit limit, DateTimeOffset deadline) => checks.Schedule(new CheckAssistanceTimeLimit(requestId, limit, deadline), deadline);
        switch (e)
        {
            case AssistanceRequestOpened opened:
                Check(TimeLimit.Acknowledge, opened.AcknowledgeBy);
                Check(TimeLimit.Resolve, opened.ResolveBy);
                break;
            case AssistanceUrgencyRaised raised:
                if (!acknowledged) Check(TimeLimit.Acknowledge, raised.AcknowledgeBy);
                Check(TimeLimit.Resolve, raised.ResolveBy);
                break;
            case AssistanceRequestReopened reopened:
                Check(TimeLimit.Resolve, reopened.ResolveBy);
                break;
        }
        return checks;
    }

    public static Decision Resolve(AssistanceRequest r, AssistanceOutcome outcome, string by, DateTimeOffset now) =>
        !r.IsOpen
            ? Refusal.Conflict($"Request {r.Reference} is {Describe(r)}; only an open request is resolved.")
            : Decision.Append(new AssistanceRequestResolved(outcome, by, now, r.Category, r.Board, (now - r.OpenedAt).TotalSeconds));

    public static Decision Close(AssistanceRequest r, string by, DateTimeOffset now) =>
        r.Status != AssistanceStatus.Resolved
            ? Refusal.Conflict($"Request {r.Reference} is {Describe(r)}; only a resolved request is closed.")
            : Decision.Append(new AssistanceRequestClosed(by, now));

    /// <summary>Only what a traveller opened, while it is open: staff do not abuse their own desk.</summary>
    public static Decision MarkAbusive(AssistanceRequest r, string by, DateTimeOffset now) =>
        !r.OpenedByTraveller ? Refusal.Conflict($"Request {r.Reference} was opened by staff; only a traveller's request is marked as abuse.")
        : !r.IsOpen ? Refusal.Conflict($"Request {r.Reference} is already {Describe(r)}.")
        : Decision.Append(new AssistanceRequestMarkedAbusive(by, now));

    public static Decision Reopen(AssistanceRequest r, DateTimeOffset now)
    {
        if (r.Status != AssistanceStatus.Resolved)
            return Refusal.Conflict($"Request {r.Reference} is {Describe(r)}; only a resolved request can be reopened.");
        if (now - r.ResolvedAt > ReopenWithin)
            return Refusal.Conflict($"Request {r.Reference} was resolved more than {ReopenWithin.TotalDays} days ago; please open a new request.");
        var (ack, resolve) = TimeLimits.For(r.Category, r.Urgency);
        return Decision.Append(new AssistanceRequestReopened(now, now + ack, now + resolve));
    }

    public static Decision Cancel(AssistanceRequest r, DateTimeOffset now) =>
        !r.IsOpen
            ? Refusal.Conflict($"Request {r.Reference} is {Describe(r)}; only an open request can be cancelled.")
            : Decision.Append(new AssistanceRequestCancelled(now));

    /// <summary>Escalates once per limit when it passed unmet; nothing when met in time or already escalated.</summary>
    public static object? Escalate(AssistanceRequest r, TimeLimit limit, DateTimeOffset now)
    {
        var deadline = limit == TimeLimit.Acknowledge ? r.AcknowledgeBy : r.ResolveBy;
        var met = limit == TimeLimit.Acknowledge ? r.AcknowledgedAt is not null || !r.IsOpen : !r.IsOpen;
        if (met || r.Escalations.Contains(limit) || now < deadline) return null;
        return new AssistanceRequestEscalated(limit, deadline, now);
    }

    public static string Describe(AssistanceRequest r) => r.Status.ToString().ToLowerInvariant();

    public static Refusal? CanActOn(AssistanceRequest r, System.Security.Claims.ClaimsPrincipal user) =>
        user.CanActAt(r.Board) || (r.Agent is not null && r.Agent == user.StaffId())
            ? null
            : Refusal.Forbidden($"Request {r.Reference} is handled at {r.Board}; your account works at {string.Join(", ", user.FindAll(Claims.Port).Select(c => c.Value).DefaultIfEmpty("no place"))}.");
}
