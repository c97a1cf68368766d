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

    /// <summary>
    /// Where a request is worked: a port where it is a port; aboard, the sailing's arrival port, whose agents meet the
    /// ship. An aboard place that names no sailing is refused (422): nobody would ever see the request.
    /// </summary>
    public static async Task<(string? ArrivalPort, ProblemDetails? Refused)> WhereAsync(IQuerySession session, string place, CancellationToken ct)
    {
        if (!place.StartsWith(Places.AboardPrefix)) return (null, null);
        return await session.LoadAsync<Sailings.Sailing>(Guid.Parse(place[Places.AboardPrefix.Length..]), ct) is { } sailing
            ? (sailing.Destination, null)
            : (null, Problems.Make(422, "Unknown place", $"place {place} names no sailing: give a port's UN/LOCODE (e.g. MAPTM) or SAILING:<id of a scheduled sailing>.", "place"));
    }

    /// <summary>Opens the stream, keeps the texts and contact apart, and schedules both time limits in the same transaction.</summary>
    public static (AssistanceRequestOpenedResponse, OutgoingMessages) Open(
        IDocumentSession session, TravellerAccess access, OpenAssistanceRequest c, string place, string? arrivalPort, Guid? crossingId, Language language,
        string openedBy, bool byTraveller, bool withOwnCode, DateTimeOffset now)
    {
        var id = Guid.CreateVersion7();
        var code = withOwnCode ? Codes.NewAccessCode() : null;
        var urgency = c.Urgency ?? Assistance.Urgency.Normal;
        var (ack, resolve) = TimeLimits.For(c.Category!.Value, urgency);
        var opened = new AssistanceRequestOpened(id, Codes.NewRequestReference(),
            c.Category.Value, urgency, place, crossingId, language, c.ContactChannel, openedBy, byTraveller, now, now + ack, now + resolve, arrivalPort);

        session.Events.StartStream<AssistanceRequest>(id, opened);
        if (code is not null) session.Insert(access.Issue(opened.Reference, id, code, now));
        session.Store(new AssistanceText { Id = id, Description = c.Description!.Trim() });
        if (c.Contact is { } contact) session.Store(new AssistanceContact { Id = id, Name = contact.Name?.Trim(), Phone = contact.Phone?.Trim(), Email = contact.Email?.Trim() });

        return (new AssistanceRequestOpenedResponse(id, opened.Reference, code, AssistanceStatus.Opened, place, opened.AcknowledgeBy, opened.ResolveBy),
            AssistanceRules.ChecksAfter(id, acknowledged: false, opened));
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
        OpenAssistanceRequest command, HttpContext context, IDocumentSession session, TravellerAccess access, AssistanceLimits limits, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        Crossing? crossing = null;
        if (!string.IsNullOrWhiteSpace(command.BookingReference))
        {
            (crossing, var refused) = await access.OpenCrossingAsync(session, command.BookingReference, command.AccessCode, context, now, ct);
            if (refused is not null) return (refused.ToResult(), new OutgoingMessages());
        }
        var place = Places.Normalise(command.Place) ?? OpeningRules.PlaceOf(crossing!);
        var (arrivalPort, unknown) = await OpeningRules.WhereAsync(session, place, ct);
        if (unknown is not null) return (unknown.ToResult(), new OutgoingMessages());
        if (await limits.TakeAsync(crossing, place, now, ct) is { } tooMany) return (tooMany, new OutgoingMessages());
        // The language the traveller wrote in: said, or their browser's, so that agents and later views use it.
        var language = TravellerLanguage.Chosen(command.Language, context) ?? Language.en;
        var (response, messages) = OpeningRules.Open(session, access, command, place, arrivalPort, crossing?.Id, language,
            "traveller", byTraveller: true, withOwnCode: crossing is null, now);
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
        // Aboard, where the ship arrives decides (checked once the sailing is read).
        return place.StartsWith(Places.AboardPrefix) || user.CanActAt(place) ? WolverineContinue.NoProblems : Problems.Forbidden($"Your account does not work at {place}.");
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
        var place = Places.Normalise(command.Place)!;
        var (arrivalPort, unknown) = await OpeningRules.WhereAsync(session, place, ct);
        if (unknown is not null) return (unknown.ToResult(), new OutgoingMessages());
        if (arrivalPort is not null && !user.CanActAt(arrivalPort)) return (Problems.Forbidden($"Your account does not work at {arrivalPort}, where that sailing arrives.").ToResult(), new OutgoingMessages());
        var (response, messages) = OpeningRules.Open(session, access, command, place, arrivalPort, crossing?.Id,
            command.Language ?? Language.fr, user.StaffId(), byTraveller: false, withOwnCode: crossing is null, clock.GetUtcNow());
        return (Results.Created($"/api/assistance/{response.RequestId}", response), messages);
    }
}

/// <summary>
/// Requests travellers open are bounded, whoever sends them and from however many addresses, beside the per-client
/// rate limit: without a booking (a traveller at the quay has no account), per place and hour; with one, per booking
/// and day. A flood cannot bury a port's agents, nor one booking's requests take all their time. Counted in one
/// statement, shared by all nodes; a refusal says when to come back (Retry-After).
/// </summary>
public sealed class AssistanceLimits(TravellerLimits limits, Npgsql.NpgsqlDataSource database)
{
    public const string Table = $"{Database.Schema}.assistance_requestdatabase";

    public static void AddTo(StoreOptions opts)
    {
        var table = new Weasel.Postgresql.Tables.Table(Table);
        table.AddColumn<string>("scope").AsPrimaryKey();
        table.AddColumn<DateTimeOffset>("window_start").AsPrimaryKey();
        table.AddColumn<int>("requests").NotNull();
        opts.Storage.ExtendedSchemaObjects.Add(table);
    }

    /// <summary>Counts one more request of <paramref name="crossing"/> (or, without one, at <paramref name="place"/>); a refusal when the window's are used up.</summary>
    public async Task<RetryLater?> TakeAsync(Crossing? crossing, string place, DateTimeOffset now, CancellationToken ct)
    {
        var (scope, window, allowed) = crossing is null
            ? ($"place {place}", TimeSpan.FromHours(1), limits.WalkUpRequestsPerPlacePerHour)
            : ($"booking {crossing.BookingReference}", TimeSpan.FromDays(1), limits.RequestsPerBookingPerDay);
        var start = new DateTimeOffset(now.UtcTicks - now.UtcTicks % window.Ticks, TimeSpan.Zero);
        if (await Database.OnceMoreIfClosedAsync(database, () => CountAsync(scope, start, ct)) <= allowed) return null;
        var retryAfter = (int)Math.Ceiling((start + window - now).TotalSeconds);
        var problem = crossing is null
            ? Problems.Make(429, "Too many requests without a booking",
                $"Many requests without a booking were opened at {place} this hour: ask at the Foundation's desk, give your booking reference, or call the free line 080 000 23 23.")
            : Problems.Make(429, "Too many requests for this booking",
                $"Booking {crossing.BookingReference} has opened {allowed} requests today: follow them on your page, ask at the Foundation's desk, or call the free line 080 000 23 23.");
        problem.Extensions["retryAfterSeconds"] = retryAfter;
        return new RetryLater(problem, retryAfter);
    }

    private async Task<int> CountAsync(string scope, DateTimeOffset start, CancellationToken ct)
    {
        await using var cmd = database.CreateCommand($"""
            insert into {Table} as w (scope, window_start, requests) values ($1, $2, 1)
            on conflict (scope, window_start) do update set requests = w.requests + 1 returning requests
            """);
        cmd.Parameters.Add(new() { Value = scope });
        cmd.Parameters.Add(new() { Value = start });
        return (int)(await cmd.ExecuteScalarAsync(ct))!;
    }

    public async Task<int> PurgeBeforeAsync(DateTimeOffset before, CancellationToken ct)
    {
        await using var cmd = database.CreateCommand($"delete from {Table} where window_start < $1 - interval '1 day'");
        cmd.Parameters.Add(new() { Value = before });
        return await cmd.ExecuteNonQueryAsync(ct);
    }


    /// <summary>A 429 problem with its Retry-After header.</summary>
    public sealed class RetryLater(ProblemDetails problem, int seconds) : IResult
    {
        public ProblemDetails Problem { get; } = problem;

        public Task ExecuteAsync(HttpContext context)
        {
            context.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return Results.Problem(Problem).ExecuteAsync(context);
        }
    }
}

/// <summary>A traveller asks for help from their page, the key already checked there: opened like any request, time limits scheduled with it.</summary>
public record OpenRequestFromTravellerPage(Guid CrossingId, AssistanceCategory Category, string? Place, string Description, Language Language);

/// <summary>The request opened, or why not (the limits' refusal, in the traveller's words).</summary>
public record RequestFromPageOutcome(AssistanceRequestOpenedResponse? Opened, ProblemDetails? Refused);

public static class OpenRequestFromTravellerPageHandler
{
    public static async Task<(RequestFromPageOutcome, OutgoingMessages)> Handle(
        OpenRequestFromTravellerPage command, IDocumentSession session, TravellerAccess access, AssistanceLimits limits, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var crossing = (await session.LoadAsync<Crossing>(command.CrossingId, ct))!;
        var place = Places.Normalise(command.Place) ?? OpeningRules.PlaceOf(crossing);
        var (arrivalPort, unknown) = await OpeningRules.WhereAsync(session, place, ct);
        if (unknown is not null) return (new RequestFromPageOutcome(null, unknown), new OutgoingMessages());
        if (await limits.TakeAsync(crossing, place, now, ct) is { } tooMany) return (new RequestFromPageOutcome(null, tooMany.Problem), new OutgoingMessages());
        var request = new OpenAssistanceRequest(crossing.BookingReference, null, command.Category, null, command.Place, command.Description, command.Language, null, null);
        var (opened, messages) = OpeningRules.Open(session, access, request, place, arrivalPort, crossing.Id,
            command.Language, "traveller", byTraveller: true, withOwnCode: false, now);
        return (new RequestFromPageOutcome(opened, null), messages);
    }
}
