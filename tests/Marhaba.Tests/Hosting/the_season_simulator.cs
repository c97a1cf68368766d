using Marhaba.Hosting;
using Marhaba.Simulator;

namespace Marhaba.Tests.Hosting;

/// <summary>The season simulator: the same seed gives the same season, and a few days of it run through the API without a surprise.</summary>
public class the_season_simulator
{
    [Fact]
    public void draws_the_same_season_from_the_same_seed_and_another_from_another()
    {
        var first = SeasonPlan.Generate(2025, 0.01, seed: 7);
        var again = SeasonPlan.Generate(2025, 0.01, seed: 7);
        var other = SeasonPlan.Generate(2025, 0.01, seed: 8);

        again.Parties.ShouldBe(first.Parties);
        again.Sailings.ShouldBe(first.Sailings);
        other.Parties.ShouldNotBe(first.Parties);
        // Parties are numbered in booking order: the simulator finds a party's details by its number.
        first.Parties.Select((p, i) => p.Index == i).ShouldAllBe(numbered => numbered);
        first.Parties.Select(p => p.BookAt).ShouldBeInOrder();
        // Homeward traffic peaks in late July / early August, the return in the last ten days of August.
        var peakHome = first.Parties.Where(p => first.Sailings[p.Sailing].Direction == Ports.Direction.Inbound)
            .GroupBy(p => first.Sailings[p.Sailing].DepartureAt.Date).MaxBy(g => g.Count())!.Key;
        var peakBack = first.Parties.Where(p => first.Sailings[p.Sailing].Direction == Ports.Direction.Outbound)
            .GroupBy(p => first.Sailings[p.Sailing].DepartureAt.Date).MaxBy(g => g.Count())!.Key;
        peakHome.ShouldBeInRange(new DateTime(2025, 7, 20), new DateTime(2025, 8, 10));
        peakBack.ShouldBeInRange(new DateTime(2025, 8, 20), new DateTime(2025, 8, 31));
    }

    [Fact]
    public async Task plays_a_few_peak_days_through_the_api_with_no_unexpected_answer()
    {
        var json = Path.Combine(Path.GetTempPath(), $"marhaba-season-{Guid.NewGuid():N}.json");
        var summary = await new SeasonRun(new SimulationSettings(2025, Scale: 0.002, Seed: 11, DaySeconds: 0, Clients: 4,
            From: new DateOnly(2025, 8, 1), To: new DateOnly(2025, 8, 2), json, Quiet: true, Database: "marhaba_sim_tests")).RunAsync();

        summary.UnexpectedByKind.ShouldBeEmpty();
        var line = summary.Lines.ToDictionary(l => l.Measure, l => l.Simulated);
        line["crossings recorded arriving"].ShouldBeGreaterThan(0);
        line["check-ins"].ShouldBeGreaterThanOrEqualTo(line["crossings recorded arriving"]);
        line["clearances"].ShouldBe(line["crossings recorded arriving"]);
        line["requests resolved"].ShouldBe(line["assistance requests"]);
        File.ReadAllText(json).ShouldContain("passengers through the Moroccan ports");
        File.Delete(json);
    }

    [Fact]
    public void simulated_business_time_moves_only_forward()
    {
        var clock = new SimulatedClock(new DateTimeOffset(2025, 6, 7, 0, 0, 0, TimeSpan.Zero));

        clock.TryMoveTo(new DateTimeOffset(2025, 6, 7, 1, 0, 0, TimeSpan.Zero)).ShouldBeTrue();
        clock.TryMoveTo(new DateTimeOffset(2025, 6, 7, 0, 30, 0, TimeSpan.Zero)).ShouldBeFalse();
        clock.GetUtcNow().ShouldBe(new DateTimeOffset(2025, 6, 7, 1, 0, 0, TimeSpan.Zero));
        SimulatedClock.RealDelay(clock, TimeSpan.FromHours(2)).ShouldBe(SimulatedClock.RecheckAfter);
        SimulatedClock.RealDelay(TimeProvider.System, TimeSpan.FromHours(2)).ShouldBe(TimeSpan.FromHours(2));
    }
}
