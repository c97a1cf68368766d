using System.Text.Json;
using Marhaba.Simulator;

namespace Marhaba.Tests.Hosting;

/// <summary>
/// The benchmark in its smoke mode (seconds, a few hundred crossings): it still measures every figure, and each ratio
/// is the quotient of the two phases it names, repeat by repeat. No figure's size is judged here.
/// </summary>
public class the_benchmark_still_runs
{
    private static readonly string[] EveryFigure =
    [
        "raw single-append transactions", "raw batched inserts of 100 rows", "book crossing, full path (row lock per sailing)",
        "hand-written keyed arrival (a)", "PostgreSQL CPU per 1,000 keyed arrivals, by hand (a)",
        "record arrival, full path, saturated", "record arrival p50 at saturation", "ratio full-path arrival / hand-written (a)",
        "ratio full-path arrival / raw single-append tx", "server CPU per 1,000 keyed arrivals", "PostgreSQL CPU per 1,000 keyed arrivals, full path",
        "projection lag p50 / p99 under saturating load", "errors answered, saturated arrivals",
        "record arrival p99 at half saturation", "errors answered, half-rate arrivals",
        "hand-written batch (b)", "PostgreSQL CPU per 1,000 arrivals in lists, by hand (b)", "batch endpoint, keyed",
        "ratio batch endpoint / hand-written (b)", "ratio batch endpoint / raw batched inserts", "server CPU per 1,000 arrivals in lists",
        "PostgreSQL CPU per 1,000 arrivals in lists, batch endpoint", "errors answered, batch endpoint",
        "crossings in the store when measuring", "server peak memory (RSS)", "rebuild of the 4 asynchronous projections",
        "record arrival, 2 nodes, saturated", "ratio 2 nodes / one node, saturated arrivals", "p99 latency, 2 nodes, saturated",
        "projection lag p50 / p99 under saturating load, 2 nodes", "server CPU per 1,000 keyed arrivals, 2 nodes", "errors answered, 2 nodes",
    ];

    [Fact]
    public async Task in_smoke_mode_it_reports_every_figure_and_each_ratio_from_its_own_phases()
    {
        var json = Path.Combine(Path.GetTempPath(), $"marhaba-bench-{Guid.NewGuid():N}.json");
        var figures = await new Benchmark(new BenchmarkSettings(2, TimeSpan.FromSeconds(1), Bookings: 100, Crossings: 24000, BatchSize: 50, json, Smoke: true, Repeats: 2, Nodes: 2)).RunAsync();

        figures.Select(f => f.Name).Order().ShouldBe(EveryFigure.Order(), "every figure, and no other");
        figures.Single(f => f.Name == "hand-written keyed arrival (a)").Note.ShouldStartWith("2 repeats");
        figures.Single(f => f.Name == "errors answered, 2 nodes").Value.ShouldBe(0);
        figures.Where(f => f.Unit is "tx/s" or "req/s" or "rows/s" or "events/s" or "arrivals/s").ShouldAllBe(f => f.Value > 0);

        using var written = JsonDocument.Parse(File.ReadAllText(json));
        written.RootElement.GetProperty("postgres").GetString()!.ShouldContain("synchronous_commit");
        var repeats = written.RootElement.GetProperty("repeats");
        double[] Values(string name) => repeats.GetProperty(name).EnumerateArray().Select(v => v.GetDouble()).ToArray();
        void RatioOf(string ratio, string numerator, string denominator)
        {
            var (r, n, d) = (Values(ratio), Values(numerator), Values(denominator));
            r.Length.ShouldBe(2, ratio);
            for (var i = 0; i < r.Length; i++) r[i].ShouldBe(n[i] / d[i], 1e-9 * Math.Abs(r[i]), $"{ratio}, repeat {i + 1}");
        }
        RatioOf("ratio full-path arrival / hand-written (a)", "record arrival, full path, saturated", "hand-written keyed arrival (a)");
        RatioOf("ratio full-path arrival / raw single-append tx", "record arrival, full path, saturated", "raw single-append transactions");
        RatioOf("ratio batch endpoint / hand-written (b)", "batch endpoint, keyed", "hand-written batch (b)");
        RatioOf("ratio batch endpoint / raw batched inserts", "batch endpoint, keyed", "raw batched inserts of 100 rows");
        File.Delete(json);
    }
}
