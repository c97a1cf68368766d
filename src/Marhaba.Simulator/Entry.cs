namespace Marhaba.Simulator;

/// <summary>
/// <c>dotnet run --project src/Marhaba.Simulator -- bench [--clients 8] [--seconds 10] [--bookings 2000] [--crossings 40000] [--json bench.json] [--smoke]</c>
/// </summary>
public static class Entry
{
    public static async Task<int> Main(string[] args)
    {
        if (args.FirstOrDefault() != "bench")
        {
            Console.Error.WriteLine("usage: bench [--clients N] [--seconds S] [--bookings N] [--crossings N] [--json FILE] [--smoke]");
            return 2;
        }
        string? Option(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
        var smoke = args.Contains("--smoke");
        var settings = new BenchmarkSettings(
            Clients: int.Parse(Option("--clients") ?? (smoke ? "2" : "8")),
            Duration: TimeSpan.FromSeconds(double.Parse(Option("--seconds") ?? (smoke ? "1" : "10"))),
            Bookings: int.Parse(Option("--bookings") ?? (smoke ? "100" : "2000")),
            Crossings: int.Parse(Option("--crossings") ?? (smoke ? "1000" : "40000")),
            BatchSize: smoke ? 50 : 200,
            JsonPath: Option("--json") ?? "benchmark.json",
            Smoke: smoke);

        var figures = await new Benchmark(settings).RunAsync();
        Console.WriteLine();
        Console.WriteLine($"| {"measure",-52} | {"value",12} | {"unit",-9} | note");
        Console.WriteLine($"|{new string('-', 54)}|{new string('-', 14)}|{new string('-', 11)}|------");
        foreach (var f in figures) Console.WriteLine($"| {f.Name,-52} | {f.Value,12:N2} | {f.Unit,-9} | {f.Note}");
        Console.WriteLine($"\nWritten to {Path.GetFullPath(settings.JsonPath)}");
        return 0;
    }
}
