using Marhaba.Assistance;
using Marhaba.Crossings;
using Marhaba.Hosting;
using Marhaba.Ports;
using Marhaba.Sailings;

namespace Marhaba.Tests.Rules;

/// <summary>The pure rules, one line each: given the events so far, the event they decide or why they refuse.</summary>
public class the_rules_decide_from_the_events
{
    private static readonly DateTimeOffset T = new(2027, 7, 28, 8, 0, 0, TimeSpan.Zero);
    private static readonly Guid SailingId = Guid.NewGuid();
    private static readonly CrossingBooked Booked = new(Guid.NewGuid(), "MRH-AAAAAAAAAA", SailingId, "ITGOA-MAPTM", Direction.Inbound, "ITGOA", "MAPTM",
        T.AddHours(10), T.AddHours(58), 2, 2, VehicleKind.Car, T.AddDays(-20), "op");
    private static readonly SailingScheduled Scheduled = new(SailingId, "ITGOA-MAPTM", Direction.Inbound, "ITGOA", "MAPTM", "GNV", "GNV Victory",
        T.AddHours(10), T.AddHours(58), 4, 10, "planner");

    private static Crossing Crossing(params object[] later) => Fold(Marhaba.Crossings.Crossing.Create(Booked), later);
    private static Sailing Sailing(params object[] later) => Fold(Marhaba.Sailings.Sailing.Create(Scheduled), later);
    private static AssistanceRequest Request(bool byTraveller, params object[] later) => Fold(AssistanceRequest.Create(new AssistanceRequestOpened(
        Guid.NewGuid(), "AST-AAAAAAAAAA", AssistanceCategory.Medical, Urgency.High, "MAPTM", null, Language.fr, null, "x", byTraveller, T, T.AddMinutes(10), T.AddHours(2))), later);

    private static T0 Fold<T0>(T0 aggregate, object[] events) where T0 : notnull
    {
        // An immutable aggregate's Apply returns the new state; a mutable one's changes it in place.
        foreach (var e in events)
            aggregate = typeof(T0).GetMethod("Apply", [e.GetType()])!.Invoke(aggregate, [e]) is T0 next ? next : aggregate;
        return aggregate;
    }

    private static CrossingCheckedIn CheckedIn => new("ITGOA", "B1", T, "staff", SailingId, 4, VehicleKind.Car);
    private static SailingDelayed DelayedBy(int hours) => new(T.AddHours(10 + hours), T.AddHours(58 + hours), "Weather", T, "authority");

    private static Decision Step(Crossing c, DeskStep step, string port, DateTimeOffset? at = null, Sailing? sailing = null) =>
        CrossingRules.Record(c, step, port, "B1", at ?? T, "staff", sailing ?? Sailing());
    private static CrossingArrived ArrivedAtTangerMed => new("MAPTM", null, T.AddHours(59), "s", 4, VehicleKind.Car, Direction.Inbound, "ITGOA-MAPTM", SailingId);

    [Fact] public void a_booked_crossing_checks_in_at_its_origin() => Step(Crossing(), DeskStep.CheckIn, "ITGOA").Event.ShouldBe(new CrossingCheckedIn("ITGOA", "B1", T, "staff", SailingId, 4, VehicleKind.Car));
    [Fact] public void check_in_elsewhere_is_refused() => Step(Crossing(), DeskStep.CheckIn, "MAPTM").Refused!.Kind.ShouldBe(RefusalKind.Invalid);
    [Fact] public void check_in_twice_is_refused() => Step(Crossing(CheckedIn), DeskStep.CheckIn, "ITGOA").Refused!.Message.ShouldContain("checked in only once");
    [Fact] public void boarding_without_check_in_is_refused() => Step(Crossing(), DeskStep.Boarding, "ITGOA").Refused!.Message.ShouldContain("not been checked in");
    [Fact] public void a_checked_in_crossing_boards() => Step(Crossing(CheckedIn), DeskStep.Boarding, "ITGOA").Event.ShouldBeOfType<CrossingEmbarked>();
    [Fact] public void an_arrival_before_the_ship_left_is_refused() => Step(Crossing(), DeskStep.Arrival, "MAPTM", T.AddHours(9)).Refused!.Kind.ShouldBe(RefusalKind.Conflict);
    [Fact] public void an_arrival_after_the_ship_left_is_recorded() => Step(Crossing(), DeskStep.Arrival, "MAPTM", T.AddHours(11)).Event.ShouldBe(
        new CrossingArrived("MAPTM", "B1", T.AddHours(11), "staff", 4, VehicleKind.Car, Direction.Inbound, "ITGOA-MAPTM", SailingId));
    [Fact] public void an_arrival_before_a_delayed_departure_is_refused() => Step(Crossing(), DeskStep.Arrival, "MAPTM", T.AddHours(11), Sailing(DelayedBy(3))).Refused!.Message.ShouldContain("delayed");
    [Fact] public void a_second_arrival_is_refused() => Step(Crossing(ArrivedAtTangerMed), DeskStep.Arrival, "MAPTM", T.AddHours(60)).Refused!.Message.ShouldContain("already arrived");
    [Fact] public void a_cancelled_crossing_cannot_arrive() => Step(Crossing(new CrossingCancelled(CancellationReason.Illness, T, "op", SailingId, 4, VehicleKind.Car, false)), DeskStep.Arrival, "MAPTM", T.AddHours(60)).Refused!.Message.ShouldContain("cancelled");
    [Fact] public void clearance_needs_an_arrival() => Step(Crossing(), DeskStep.Clearance, "MAPTM").Refused!.Message.ShouldContain("record its arrival first");
    [Fact] public void an_arrived_crossing_is_cleared_then_leaves() =>
        Step(Crossing(ArrivedAtTangerMed, new CrossingCleared("MAPTM", T.AddHours(60), "s", 4, VehicleKind.Car)), DeskStep.Exit, "MAPTM", T.AddHours(61)).Event.ShouldBe(new CrossingCompleted(T.AddHours(61), "staff"));

    /// <summary>The crossing's one table: every status, at its departure port, its arrival port and a third port.</summary>
    [Theory]
    [InlineData("Booked", "CheckIn", "Arrival")]
    [InlineData("CheckedIn", "Boarding", "Arrival")]
    [InlineData("Embarked", null, "Arrival")]
    [InlineData("Arrived", null, "Clearance")]
    [InlineData("Cleared", null, "Exit")]
    [InlineData("Completed", null, null)]
    [InlineData("Cancelled", null, null)]
    [InlineData("NoShow", null, null)]
    public void each_status_allows_one_step_at_each_end(string status, string? atDeparture, string? atArrival)
    {
        var c = Crossing() with { Status = Enum.Parse<CrossingStatus>(status) };
        (c.NextStepAt("ITGOA")?.ToString()).ShouldBe(atDeparture);
        (c.NextStepAt("MAPTM")?.ToString()).ShouldBe(atArrival);
        c.NextStepAt("ESALG").ShouldBeNull();
        // A step the table allows is recorded; any other is refused, at either end.
        foreach (var step in Enum.GetValues<DeskStep>())
        foreach (var port in new[] { "ITGOA", "MAPTM" })
            (Step(c, step, port, T.AddHours(12)).Refused is null).ShouldBe(c.NextStepAt(port) == step, $"{status}: {step} at {port}");
    }

    [Fact] public void an_embarked_crossing_cannot_be_cancelled() => CrossingRules.CanCancel(Crossing(CheckedIn, new CrossingEmbarked("ITGOA", SailingId, T, "s", 4, VehicleKind.Car)))!.Kind.ShouldBe(RefusalKind.Conflict);
    [Fact] public void a_no_show_before_a_delayed_departure_is_refused() => CrossingRules.CanMarkNoShow(Crossing(), Sailing(DelayedBy(4)), "ITGOA", T.AddHours(12))!.Kind.ShouldBe(RefusalKind.Conflict);
    [Fact] public void a_no_show_after_the_delayed_departure_is_recorded() => CrossingRules.CanMarkNoShow(Crossing(), Sailing(DelayedBy(4)), "ITGOA", T.AddHours(15)).ShouldBeNull();
    [Fact] public void rebooking_onto_another_route_is_refused() => CrossingRules.CanRebook(Crossing(), Marhaba.Sailings.Sailing.Create(Scheduled with { SailingId = Guid.NewGuid(), Origin = "ESALG" }), T)!.Kind.ShouldBe(RefusalKind.Invalid);

    [Fact] public void a_full_sailing_takes_no_more() => Sailing(new PlacesReserved(Guid.NewGuid(), 4, 5)).WhyNotBookable(1, 0, T)!.ShouldContain("No passenger places left");
    [Fact] public void a_cancelled_sailing_takes_no_booking() => Sailing(new SailingCancelled("strike", T, "p")).WhyNotBookable(1, 0, T)!.ShouldContain("cancelled");
    [Fact] public void a_scheduled_sailing_is_cancelled() => SailingRules.Cancel(Sailing(), new CancelSailing("strike"), T, "p").Event.ShouldBeOfType<SailingCancelled>();
    [Fact] public void a_departed_sailing_cannot_be_cancelled() => SailingRules.Cancel(Sailing(new SailingDeparted(T, null, null, "p")), new CancelSailing("strike"), T, "p").Refused!.Kind.ShouldBe(RefusalKind.Conflict);
    [Fact] public void capacity_never_goes_below_the_booked() => SailingRules.ChangeCapacity(Sailing(new PlacesReserved(Guid.NewGuid(), 4, 5)), new ChangeSailingCapacity(3, null, "smaller ship"), T, "p").Refused!.Kind.ShouldBe(RefusalKind.Conflict);
    [Fact] public void a_delay_under_way_moves_only_the_arrival() => ((SailingDelayed)SailingRules.Delay(Sailing(new SailingDeparted(T.AddHours(10), null, null, "p")), new DelaySailing(T.AddHours(20), T.AddHours(62), "sea"), T, "p").Event!).NewDepartureAt.ShouldBe(T.AddHours(10));
    [Fact] public void a_sailing_that_never_left_does_not_arrive() => SailingRules.Arrive(Sailing(), T, "p").Refused!.Kind.ShouldBe(RefusalKind.Conflict);

    [Fact] public void an_opened_request_is_acknowledged() => AssistanceRules.Acknowledge(Request(true), "agent", T).Event.ShouldBeOfType<AssistanceRequestAcknowledged>();
    [Fact] public void a_request_is_acknowledged_once() => AssistanceRules.Acknowledge(Request(true, new AssistanceRequestAcknowledged("a", T, AssistanceCategory.Medical, "MAPTM", 60)), "agent", T).Refused!.Kind.ShouldBe(RefusalKind.Conflict);
    [Fact] public void only_a_resolved_request_is_closed() => AssistanceRules.Close(Request(true), "agent", T).Refused!.Kind.ShouldBe(RefusalKind.Conflict);
    [Fact] public void a_travellers_open_request_may_be_marked_abuse() => AssistanceRules.MarkAbusive(Request(true), "agent", T).Event.ShouldBeOfType<AssistanceRequestMarkedAbusive>();
    [Fact] public void a_request_staff_opened_is_never_abuse() => AssistanceRules.MarkAbusive(Request(false), "agent", T).Refused!.Kind.ShouldBe(RefusalKind.Conflict);
    [Fact] public void an_unacknowledged_request_past_its_limit_escalates() => AssistanceRules.Escalate(Request(true), TimeLimit.Acknowledge, T.AddMinutes(11)).ShouldBeOfType<AssistanceRequestEscalated>();
    [Fact] public void an_acknowledged_request_does_not_escalate_for_acknowledgement() => AssistanceRules.Escalate(Request(true, new AssistanceRequestAcknowledged("a", T, AssistanceCategory.Medical, "MAPTM", 60)), TimeLimit.Acknowledge, T.AddMinutes(11)).ShouldBeNull();
    [Fact] public void a_resolved_request_reopens_within_seven_days() => AssistanceRules.Reopen(Request(true, new AssistanceRequestResolved(AssistanceOutcome.Solved, "a", T, AssistanceCategory.Medical, "MAPTM", 60)), T.AddDays(6)).Event.ShouldBeOfType<AssistanceRequestReopened>();
    [Fact] public void a_resolved_request_does_not_reopen_after_seven_days() => AssistanceRules.Reopen(Request(true, new AssistanceRequestResolved(AssistanceOutcome.Solved, "a", T, AssistanceCategory.Medical, "MAPTM", 60)), T.AddDays(8)).Refused!.Kind.ShouldBe(RefusalKind.Conflict);

    // The demo's port days: what has happened by a given moment and is not yet recorded.
    private static Marhaba.Demo.DemoOperations.Steps Demo(Sailing s, DateTimeOffset now, params Crossing[] crossings) => Marhaba.Demo.DemoOperations.Due(s, crossings, now);
    [Fact] public void the_demo_records_nothing_before_check_in_opens() => Demo(Sailing(), T.AddHours(5), Crossing()).Any.ShouldBeFalse();
    [Fact] public void the_demo_opens_boarding_two_hours_before_departure() => Demo(Sailing(), T.AddHours(8)).Sailing.ShouldBe([new SailingBoardingStarted(T.AddHours(8), "demo-staff")]);
    [Fact] public void the_demo_leaves_a_cancelled_sailing_alone() => Demo(Sailing(new SailingCancelled("strike", T, "p")), T.AddHours(70), Crossing()).Any.ShouldBeFalse();
    [Fact] public void the_demo_ship_leaves_with_the_checked_in_and_without_the_others()
    {
        var steps = Demo(Sailing(), T.AddHours(11), Crossing(CheckedIn), Crossing() with { Id = Guid.Empty });
        steps.Sailing.OfType<SailingDeparted>().Single().PersonsOnBoard.ShouldBe(4);
        steps.Crossings.Single(c => c.Crossing.Status == CrossingStatus.CheckedIn).Events.Single().ShouldBeOfType<CrossingEmbarked>();
        // A draw of zero: this party never comes to check in.
        steps.Crossings.Single(c => c.Crossing.Id == Guid.Empty).Events.Single().ShouldBeOfType<CrossingMarkedNoShow>();
        steps.Sailing.OfType<PlacesReleased>().Single().CrossingId.ShouldBe(Guid.Empty);
    }
    [Fact] public void a_demo_started_days_later_catches_up_every_step()
    {
        // All bits set: this party draws late, but it does come.
        var steps = Demo(Sailing(), T.AddDays(5), Crossing() with { Id = Guid.AllBitsSet });
        steps.Sailing.Select(e => e.GetType()).ShouldBe([typeof(SailingDeparted), typeof(SailingArrived)]);
        steps.Crossings.Single().Events.Select(e => e.GetType()).ShouldBe([typeof(CrossingCheckedIn), typeof(CrossingEmbarked), typeof(CrossingArrived), typeof(CrossingCleared)]);
    }
    [Fact] public void the_demo_delays_and_cancels_one_homeward_sailing_each()
    {
        var later = Enumerable.Range(0, 10).Select(h => Marhaba.Sailings.Sailing.Create(Scheduled with { SailingId = Guid.NewGuid(), DepartureAt = T.AddHours(2 * h) })).ToList();
        Marhaba.Demo.DemoOperations.DisruptionsDue(later, T).ShouldBe([new(later[2].Id, false), new(later[3].Id, true)]);
        later[5] = Sailing(DelayedBy(1));
        Marhaba.Demo.DemoOperations.DisruptionsDue(later, T).Single().Cancel.ShouldBeTrue();
    }
}
