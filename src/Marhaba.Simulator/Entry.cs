using System.Globalization;

namespace Marhaba.Simulator;

/// <summary>
/// <c>dotnet run --project src/Marhaba.Simulator -c Release -- simulate [--scale 0.01] [--seed 2025] [--year 2025] [--day-seconds 0] [--from 2025-06-10] [--to 2025-09-15] [--clients 8] [--json season.json]</c><br/>
/// <c>dotnet run --project src/Marhaba.Simulator -c Release -- bench [--clients 8] [--seconds 10] [--bookings 2000] [--crossings 1000000] [--repeats 3] [--nodes 3] [--json benchmark.json] [--smoke]</c>
/// </summary>
public static class Entry
{
    private const string Usage = """
        usage:
          simulate [--scale 0.01] [--seed 2025] [--year 2025] [--day-seconds 0] [--from yyyy-MM-dd] [--to yyyy-MM-dd] [--clients 8] [--json season.json]
              a season through the API; scale 1.0 = the 2025 season; --day-seconds N paces one simulated day in N seconds (0: as fast as possible)
          bench [--clients 8] [--seconds 10] [--bookings 2000] [--crossings 1000000] [--repeats 3] [--nodes 3] [--json benchmark.json] [--smoke]
              the benchmark: the full path against the same work written by hand and raw appends, on a season-sized store
          notices [--travellers 1500] [--json notices.json]
              a cancelled peak sailing's travellers rebooked and told by e-mail and SMS, with the SMS gateway well, then failing
          ingest [--scale 1.0] [--seed 2025] [--json ingest.json]
              a whole season's events straight into the event store, then every asynchronous projection rebuilt in a process of its own
        """;

    public static async Task<int> Main(string[] args)
    {
        string? Option(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
        DateOnly? Date(string name) => Option(name) is { } d ? DateOnly.ParseExact(d, "yyyy-MM-dd", CultureInfo.InvariantCulture) : null;
        switch (args.FirstOrDefault())
        {
            case "simulate":
                var year = int.Parse(Option("--year") ?? "2025");
                var summary = await new SeasonRun(new SimulationSettings(
                    Year: year,
                    Scale: double.Parse(Option("--scale") ?? "0.01", CultureInfo.InvariantCulture),
                    Seed: int.Parse(Option("--seed") ?? "2025"),
                    DaySeconds: double.Parse(Option("--day-seconds") ?? "0", CultureInfo.InvariantCulture),
                    Clients: int.Parse(Option("--clients") ?? "8"),
                    From: Date("--from"), To: Date("--to"),
                    JsonPath: Option("--json") ?? "season.json",
                    Quiet: false)).RunAsync();
                summary.Print();
                return summary.UnexpectedAnswers == 0 ? 0 : 1;
            case "bench":
                return await BenchAsync(args.Contains("--smoke"), Option);
            case "notices":
                var noticesJson = Option("--json") ?? "notices.json";
                PrintFigures(await new NoticeBench(int.Parse(Option("--travellers") ?? "1500"), noticesJson).RunAsync(), null);
                Console.WriteLine($"\nWritten to {Path.GetFullPath(noticesJson)}");
                return 0;
            case "ingest":
                var ingested = await SeasonIngest.RunAsync(double.Parse(Option("--scale") ?? "1.0", CultureInfo.InvariantCulture), int.Parse(Option("--seed") ?? "2025"));
                PrintFigures(ingested, Option("--json") ?? "ingest.json");
                return 0;
            case "rebuild":
                return await SeasonIngest.RebuildAsync(Option("--database") ?? "marhaba_ingest");
            default:
                Console.Error.WriteLine(Usage);
                return 2;
        }
    }

    private static async Task<int> BenchAsync(bool smoke, Func<string, string?> option)
    {
        var settings = new BenchmarkSettings(
            Clients: int.Parse(option("--clients") ?? (smoke ? "2" : "8")),
            Duration: TimeSpan.FromSeconds(double.Parse(option("--seconds") ?? (smoke ? "1" : "10"), CultureInfo.InvariantCulture)),
            Bookings: int.Parse(option("--bookings") ?? (smoke ? "100" : "2000")),
            Crossings: int.Parse(option("--crossings") ?? (smoke ? "5000" : "1000000")),
            BatchSize: smoke ? 50 : 200,
            JsonPath: option("--json") ?? "benchmark.json",
            Smoke: smoke,
            Repeats: int.Parse(option("--repeats") ?? (smoke ? "1" : "3")),
            Nodes: int.Parse(option("--nodes") ?? (smoke ? "2" : "3")));

        PrintFigures(await new Benchmark(settings).RunAsync(), null);
        Console.WriteLine($"\nWritten to {Path.GetFullPath(settings.JsonPath)}");
        return 0;
    }

    private static void PrintFigures(IReadOnlyList<Figure> figures, string? jsonPath)
    {
        Console.WriteLine();
        Console.WriteLine($"| {"measure",-52} | {"value",12} | {"unit",-9} | note");
        Console.WriteLine($"|{new string('-', 54)}|{new string('-', 14)}|{new string('-', 11)}|------");
        foreach (var f in figures) Console.WriteLine($"| {f.Name,-52} | {f.Value,12:N2} | {f.Unit,-9} | {f.Note}");
        if (jsonPath is null) return;
        File.WriteAllText(jsonPath, System.Text.Json.JsonSerializer.Serialize(new { machine = new { cores = Environment.ProcessorCount }, date = DateTimeOffset.UtcNow, figures },
            new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
        Console.WriteLine($"\nWritten to {Path.GetFullPath(jsonPath)}");
    }
}
