using System.Security.Claims;
using Marhaba.Crossings;
using Marhaba.Hosting;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Wolverine;
using Wolverine.Http;

namespace Marhaba.Assistance;

/// <summary>
/// A traveller asks for help: with their booking reference and access code, or with nothing at
/// all (they then get a request reference and code of their own to follow it).
/// </summary>
public record OpenAssistanceRequest(
    string? BookingReference, string? AccessCode, AssistanceCategory? Category, Urgency? Urgency, string? Place,
    string? Description, Language? Language, ContactChannel? ContactChannel, ContactDetails? Contact);

public record AssistanceRequestOpenedResponse(
    Guid RequestId, string Reference, string? AccessCode, AssistanceStatus Status, string Place,
    DateTimeOffset AcknowledgeBy, DateTimeOffset ResolveBy);

/// <summary>Checks the time limits of a request when they fall due (a durable scheduled message).</summary>
public record CheckAssistanceTimeLimit(Guid AssistanceRequestId, TimeLimit Limit, DateTimeOffset Deadline);

public static class OpeningRules
{
    public const int MaxDescription = 2000;

    public static ProblemDetails Validate(OpenAssistanceRequest c)
    {
        if (c.Category is null) return Problems.BadRequest("category", $"category is required: one of {string.Join(", ", Enum.GetNames<AssistanceCategory>())}.");
        if (string.IsNullOrWhiteSpace(c.Description) || c.Description.Length > MaxDescription)
            return Problems.BadRequest("description", $"description is required, at most {MaxDescription} characters.");
        if (c.Place is not null && Places.Normalise(c.Place) is null)
            return Problems.BadRequest("place", "place is a port's UN/LOCODE (e.g. MAPTM, ITGOA) or SAILING:<sailing id>.");
        if (c.BookingReference is { Length: > 32 } || c.AccessCode is { Length: > 32 }) return Problems.BadRequest("bookingReference", "bookingReference or accessCode is too long.");
        if (c.Contact is { } k && (k.Name is { Length: > 200 } || k.Phone is { Length: > 40 } || k.Email is { Length: > 200 }))
            return Problems.BadRequest("contact", "contact: name and email at most 200 characters, phone at most 40.");
        return WolverineContinue.NoProblems;
    }

    /// <summary>Where help is needed when the traveller does not say: where their crossing stands.</summary>
    public static string PlaceOf(Crossing c) => c.Status switch
    {
        CrossingStatus.Embarked => Places.Aboard(c.SailingId),
        CrossingStatus.Arrived or CrossingStatus.Cleared or CrossingStatus.Completed => c.Destination,
        _ => c.Origin
    };

    /// <summary>Opens the stream, keeps the texts and contact apart, and schedules both time limits in the same transaction.</summary>
    public static (AssistanceRequestOpenedResponse, OutgoingMessages) Open(
        IDocumentSession session, TravellerAccess access, OpenAssistanceRequest c, string place, Guid? crossingId, Language language,
        string openedBy, bool byTraveller, bool withOwnCode, DateTimeOffset now)
    {
        var id = Guid.CreateVersion7();
        var code = withOwnCode ? Codes.NewAccessCode() : null;
        var urgency = c.Urgency ?? Assistance.Urgency.Normal;
        var (ack, resolve) = TimeLimits.For(c.Category!.Value, urgency);
        var opened = new AssistanceRequestOpened(id, Codes.NewRequestReference(),
            c.Category.Value, urgency, place, crossingId, language, c.ContactChannel, openedBy, byTraveller, now, now + ack, now + resolve);

        session.Events.StartStream<AssistanceRequest>(id, opened);
        if (code is not null) session.Insert(access.Issue(opened.Reference, id, code, now));
        session.Store(new AssistanceText { Id = id, Description = c.Description!.Trim() });
        if (c.Contact is { } contact) session.Store(new AssistanceContact { Id = id, Name = contact.Name?.Trim(), Phone = contact.Phone?.Trim(), Email = contact.Email?.Trim() });

        var messages = new OutgoingMessages();
        // Due at the deadlines; a check that fires before its deadline (clocks apart) waits for it again.
        messages.Schedule(new CheckAssistanceTimeLimit(id, TimeLimit.Acknowledge, opened.AcknowledgeBy), opened.AcknowledgeBy);
        messages.Schedule(new CheckAssistanceTimeLimit(id, TimeLimit.Resolve, opened.ResolveBy), opened.ResolveBy);
        return (new AssistanceRequestOpenedResponse(id, opened.Reference, code, AssistanceStatus.Opened, place, opened.AcknowledgeBy, opened.ResolveBy), messages);
    }
}

public static class TravellerOpensRequestEndpoint
{
    public static ProblemDetails Validate(OpenAssistanceRequest command)
    {
        var problem = OpeningRules.Validate(command);
        if (problem != WolverineContinue.NoProblems) return problem;
        if (string.IsNullOrWhiteSpace(command.BookingReference) && command.Place is null)
            return Problems.BadRequest("place", "Without a booking reference, say where you are: place (e.g. MAPTM).");
        if (!string.IsNullOrWhiteSpace(command.BookingReference) && string.IsNullOrWhiteSpace(command.AccessCode))
            return Problems.BadRequest("accessCode", "accessCode is required with a booking reference.");
        return WolverineContinue.NoProblems;
    }

    [WolverinePost("/api/traveller/assistance", OperationId = "TravellerOpensAssistanceRequest")]
    [AllowAnonymous]
    [Microsoft.AspNetCore.RateLimiting.EnableRateLimiting(TravellerLimits.Policy)]
    [ProducesResponseType<AssistanceRequestOpenedResponse>(201)]
    [ProducesResponseType<ProblemDetails>(404)]
    public static async Task<(IResult, OutgoingMessages)> Post(
        OpenAssistanceRequest command, HttpContext context, IDocumentSession session, TravellerAccess access, TimeProvider clock, CancellationToken ct)
    {
        Crossing? crossing = null;
        if (!string.IsNullOrWhiteSpace(command.BookingReference))
        {
            (crossing, var refused) = await access.OpenCrossingAsync(session, command.BookingReference, command.AccessCode, context, clock.GetUtcNow(), ct);
            if (refused is not null) return (refused.ToResult(), new OutgoingMessages());
        }
        var place = Places.Normalise(command.Place) ?? OpeningRules.PlaceOf(crossing!);
        // The language the traveller wrote in: said, or their browser's, so that agents and later views use it.
        var language = TravellerLanguage.Chosen(command.Language, context) ?? Language.en;
        var (response, messages) = OpeningRules.Open(session, access, command, place, crossing?.Id, language,
            "traveller", byTraveller: true, withOwnCode: crossing is null, clock.GetUtcNow());
        return (Results.Created($"/api/assistance/{response.RequestId}", response), messages);
    }
}

public static class StaffOpensRequestEndpoint
{
    public static ProblemDetails Validate(OpenAssistanceRequest command, ClaimsPrincipal user)
    {
        var problem = OpeningRules.Validate(command);
        if (problem != WolverineContinue.NoProblems) return problem;
        if (Places.Normalise(command.Place) is not { } place) return Problems.BadRequest("place", "place is required when staff open a request.");
        return user.CanActAt(place) ? WolverineContinue.NoProblems : Problems.Forbidden($"Your account does not work at {place}.");
    }

    /// <summary>Staff open a request on someone's behalf (a booking is optional; a phone call, a person at the desk).</summary>
    [WolverinePost("/api/assistance", OperationId = "StaffOpensAssistanceRequest")]
    [Authorize(Policy = Policies.Helpers)]
    [ProducesResponseType<AssistanceRequestOpenedResponse>(201)]
    public static async Task<(IResult, OutgoingMessages)> Post(OpenAssistanceRequest command, IDocumentSession session, TravellerAccess access, TimeProvider clock, ClaimsPrincipal user, CancellationToken ct)
    {
        Crossing? crossing = null;
        if (!string.IsNullOrWhiteSpace(command.BookingReference))
        {
            var reference = Codes.Normalise(command.BookingReference);
            crossing = await session.Query<Crossing>().FirstOrDefaultAsync(c => c.BookingReference == reference, ct);
            if (crossing is null) return (Problems.NotFound($"No crossing with booking reference {reference}.").ToResult(), new OutgoingMessages());
        }
        var (response, messages) = OpeningRules.Open(session, access, command, Places.Normalise(command.Place)!, crossing?.Id,
            command.Language ?? Language.fr, user.StaffId(), byTraveller: false, withOwnCode: crossing is null, clock.GetUtcNow());
        return (Results.Created($"/api/assistance/{response.RequestId}", response), messages);
    }
}
