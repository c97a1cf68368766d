using System.Security.Claims;
using Marhaba.Hosting;
using Marhaba.Sailings;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;
using Wolverine.Marten;
using JasperFx.Events;

namespace Marhaba.Crossings;

public record VehicleDetails(VehicleKind? Kind, string? Plate, string? Country);

/// <summary>A ferry operator's booking system books a party onto a sailing.</summary>
public record BookCrossing(Guid? SailingId, int? Adults, int? Children, VehicleDetails? Vehicle);

/// <summary>The access code is given once, here; the platform keeps only its keyed hash.</summary>
public record CrossingBookedResponse(
    Guid CrossingId, string BookingReference, string AccessCode, Guid SailingId, string RouteCode,
    string Origin, string Destination, DateTimeOffset DepartureAt, CrossingStatus Status);

public static class BookCrossingEndpoint
{
    public const int MaxPartySize = 20;

    public static ProblemDetails Validate(BookCrossing command)
    {
        if (command.SailingId is null || command.SailingId == Guid.Empty)
            return Problems.BadRequest("sailingId", "sailingId is required.");
        if (command.Adults is null or < 1 or > MaxPartySize)
            return Problems.BadRequest("adults", $"adults must be between 1 and {MaxPartySize}.");
        if (command.Children is < 0 or > MaxPartySize)
            return Problems.BadRequest("children", $"children must be between 0 and {MaxPartySize}.");
        if (command.Vehicle is { } v)
        {
            if (v.Kind is null) return Problems.BadRequest("vehicle.kind", $"vehicle.kind is required: one of {string.Join(", ", Enum.GetNames<VehicleKind>())}.");
            if (Plates.Normalise(v.Plate) is not { } plate)
                return Problems.BadRequest("vehicle.plate", "vehicle.plate is required: 2 to 12 letters and digits.");
            if (v.Country is null || v.Country.Trim().Length is < 1 or > 3 || !v.Country.Trim().All(char.IsAsciiLetter))
                return Problems.BadRequest("vehicle.country", "vehicle.country is required: the international registration code (e.g. F, I, E, NL, MA).");
        }
        return WolverineContinue.NoProblems;
    }

    /// <summary>
    /// The sailing whose row lock the booking takes; none for a request <see cref="Validate"/> refuses, so that a malformed
    /// booking neither waits for nor holds up the bookings of a full sailing.
    /// </summary>
    public static Guid SailingOf(BookCrossing command) =>
        command.SailingId is { } id && ReferenceEquals(Validate(command), WolverineContinue.NoProblems) ? id : Aggregates.NoStream;

    [WolverinePost("/api/crossings", OperationId = "BookCrossing")]
    [Authorize(Policy = Policies.Booking)]
    [ProducesResponseType<CrossingBookedResponse>(201)]
    [ProducesResponseType<ProblemDetails>(404)]
    [ProducesResponseType<ProblemDetails>(409)]
    public static async Task<IResult> Post(
        BookCrossing command,
        // The sailing's row lock makes concurrent bookings of one sailing wait for each other,
        // across server nodes too: each decides on the capacity the previous one left.
        [WriteAggregate(Required = false, FromMethod = nameof(SailingOf), LoadStyle = Wolverine.Marten.ConcurrencyStyle.Exclusive)] IEventStream<Sailing> sailing,
        IDocumentSession session, TravellerAccess access, TimeProvider clock, ClaimsPrincipal user, CancellationToken ct)
    {
        if (sailing.Aggregate is null)
            return Problems.NotFound($"No sailing {command.SailingId}.").ToResult();

        if (user.WhyNotOperator(sailing.Aggregate) is { } forbidden) return forbidden.ToResult();
        var now = clock.GetUtcNow();
        var passengers = command.Adults!.Value + (command.Children ?? 0);
        var laneMetres = VehicleRoom.LaneMetres(command.Vehicle?.Kind);
        if (sailing.Aggregate.WhyNotBookable(passengers, laneMetres, now) is { } refused) return Problems.Conflict(refused).ToResult();

        var s = sailing.Aggregate;
        var reference = Codes.NewBookingReference();
        var crossingId = Codes.CrossingIdOf(reference);
        var accessCode = Codes.NewAccessCode();
        var booked = new CrossingBooked(
            crossingId, reference, s.Id, s.RouteCode,
            s.Direction, s.Origin, s.Destination, s.DepartureAt, s.ArrivalAt, command.Adults.Value, command.Children ?? 0,
            command.Vehicle?.Kind, now, user.StaffId());

        sailing.AppendOne(new PlacesReserved(crossingId, passengers, laneMetres));
        session.Events.StartStream<Crossing>(crossingId, booked);
        session.Insert(access.Issue(booked.BookingReference, crossingId, accessCode, now));
        if (command.Vehicle is { } v)
            session.Store(new CrossingVehicle { Id = crossingId, Plate = Plates.Normalise(v.Plate)!, Country = v.Country!.Trim().ToUpperInvariant() });

        return Results.Created($"/api/crossings/{crossingId}", new CrossingBookedResponse(
            crossingId, booked.BookingReference, accessCode, s.Id, s.RouteCode, s.Origin, s.Destination, s.DepartureAt,
            CrossingStatus.Booked));
    }
}
