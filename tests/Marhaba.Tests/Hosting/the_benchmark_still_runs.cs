using Marhaba.Simulator;

namespace Marhaba.Tests.Hosting;

/// <summary>The benchmark in its smoke mode (seconds, a few hundred crossings): it still measures every figure. No figure is judged here.</summary>
public class the_benchmark_still_runs
{
    [Fact]
    public async Task in_smoke_mode_it_reports_every_figure()
    {
        var json = Path.Combine(Path.GetTempPath(), $"marhaba-bench-{Guid.NewGuid():N}.json");
        var figures = await new Benchmark(new BenchmarkSettings(2, TimeSpan.FromSeconds(1), Bookings: 100, Crossings: 24000, BatchSize: 50, json, Smoke: true, Repeats: 2, Nodes: 2)).RunAsync();

        figures.Select(f => f.Name).ShouldContain("raw single-append transactions");
        figures.Select(f => f.Name).ShouldContain("record arrival, full path, saturated");
        figures.Select(f => f.Name).ShouldContain("ratio full-path arrival / hand-written (a)");
        figures.Select(f => f.Name).ShouldContain("ratio batch endpoint / hand-written (b)");
        figures.Single(f => f.Name == "hand-written keyed arrival (a)").Note.ShouldStartWith("2 repeats");
        figures.Select(f => f.Name).ShouldContain("rebuild of the 4 asynchronous projections");
        figures.Select(f => f.Name).ShouldContain("ratio 2 nodes / one node, saturated arrivals");
        figures.Single(f => f.Name == "errors answered, 2 nodes").Value.ShouldBe(0);
        figures.Where(f => f.Unit is "tx/s" or "req/s" or "rows/s" or "events/s" or "arrivals/s").ShouldAllBe(f => f.Value > 0);
        File.ReadAllText(json).ShouldContain("synchronous_commit");
        File.Delete(json);
    }
}
