using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Marhaba.Assistance;
using Marhaba.Ports;

namespace Marhaba.Simulator;

/// <param name="Reference">The published 2025 figure times the scale, where there is one.</param>
public sealed record SummaryLine(string Measure, double Simulated, double? Reference, string? Note = null)
{
    public double? Ratio => Reference is > 0 ? Math.Round(Simulated / Reference.Value, 2) : null;
}

public sealed record SeasonSummary(
    int Year, double Scale, int Seed, string From, string To, double ElapsedSeconds, long Requests, double RequestsPerSecond,
    int UnexpectedAnswers, Dictionary<string, int> UnexpectedByKind, List<SummaryLine> Lines)
{
    public void Print()
    {
        Console.WriteLine();
        Console.WriteLine($"Season {From} to {To}, scale {Scale}, seed {Seed}: {Requests:N0} requests in {ElapsedSeconds:N0} s ({RequestsPerSecond:N0} req/s), {UnexpectedAnswers} unexpected answers.");
        Console.WriteLine($"| {"measure",-58} | {"simulated",12} | {"2025 x scale",12} | {"ratio",6} | note");
        Console.WriteLine($"|{new string('-', 60)}|{new string('-', 14)}|{new string('-', 14)}|{new string('-', 8)}|------");
        foreach (var l in Lines)
            Console.WriteLine($"| {l.Measure,-58} | {l.Simulated,12:N0} | {(l.Reference is { } r ? r.ToString("N0") : ""),12} | {(l.Ratio is { } q ? q.ToString("0.00") : ""),6} | {l.Note}");
        foreach (var (kind, count) in UnexpectedByKind) Console.WriteLine($"  unexpected: {kind} × {count}");
    }
}

/// <summary>What the simulated actors did and saw, counted as they go (from several tasks at once).</summary>
public sealed class SeasonTally
{
    private readonly ConcurrentDictionary<string, int> _counts = new();
    private readonly ConcurrentDictionary<string, int> _errors = new();
    private readonly ConcurrentDictionary<(string Port, string What), int> _byPort = new();
    private readonly ConcurrentDictionary<(DateOnly Day, Direction Direction), int> _byDay = new();
    private long _requests;
    private int _arrived;

    public int Sailings { get; set; }
    public long Requests => Interlocked.Read(ref _requests);
    public int ArrivedCrossings => _arrived;
    public int Errors => _errors.Values.Sum();

    public void Request() => Interlocked.Increment(ref _requests);
    public void Count(string what) => _counts.AddOrUpdate(what, 1, (_, n) => n + 1);
    public int Get(string what) => _counts.GetValueOrDefault(what);
    public void Error(string kind, HttpStatusCode status) => _errors.AddOrUpdate($"{kind} {(int)status}", 1, (_, n) => n + 1);

    /// <summary>A party recorded arriving; Moroccan ports count passengers both ways (inbound arrivals, outbound departures).</summary>
    public void Arrived(string destination, Direction direction, DateTimeOffset at, PlannedParty party)
    {
        Interlocked.Increment(ref _arrived);
        if (direction == Direction.Inbound) AtPort(destination, party);
        _byDay.AddOrUpdate((DateOnly.FromDateTime(at.UtcDateTime), direction), party.Persons, (_, v) => v + party.Persons);
    }

    /// <summary>Outbound parties counted at their Moroccan port of departure.</summary>
    public void Departed(string origin, PlannedParty party) => AtPort(origin, party);

    private void AtPort(string port, PlannedParty party)
    {
        _byPort.AddOrUpdate((port, "passengers"), party.Persons, (_, v) => v + party.Persons);
        if (party.Vehicle is not null) _byPort.AddOrUpdate((port, "vehicles"), 1, (_, v) => v + 1);
    }

    public SeasonSummary Summary(SeasonPlan plan, SimulationSettings settings, TimeSpan elapsed, JsonElement season, JsonElement board)
    {
        var s = plan.Scale;
        var lines = new List<SummaryLine>();
        var passengers = SeasonFacts.Ports2025.Sum(p => _byPort.GetValueOrDefault((p.Port, "passengers")));
        var vehicles = SeasonFacts.Ports2025.Sum(p => _byPort.GetValueOrDefault((p.Port, "vehicles")));
        lines.Add(new("passengers through the Moroccan ports, both ways", passengers, SeasonFacts.Passengers2025 * s, "Ministry 2025: 3.2 M"));
        lines.Add(new("vehicles through the Moroccan ports, both ways", vehicles, SeasonFacts.Vehicles2025 * s, "Ministry 2025: 739 k"));
        foreach (var (port, pax, veh) in SeasonFacts.Ports2025)
        {
            lines.Add(new($"  {ReferenceData.Port(port).Name} ({port}) passengers", _byPort.GetValueOrDefault((port, "passengers")), pax * s));
            lines.Add(new($"  {ReferenceData.Port(port).Name} ({port}) vehicles", _byPort.GetValueOrDefault((port, "vehicles")), veh * s));
        }
        if (season.ValueKind == JsonValueKind.Object && season.TryGetProperty("ports", out var ports))
            foreach (var line in ports.EnumerateArray().Where(l => SeasonFacts.Ports2025.Any(p => p.Port == l.GetProperty("key").GetString())))
                lines.Add(new($"  platform's season totals: passengers recorded arriving at {line.GetProperty("key").GetString()}",
                    line.GetProperty("toDate").GetProperty("passengers").GetInt32(), null, "asynchronous projection"));

        lines.Add(new("crossings booked (parties)", Get("crossings booked"), null, $"{plan.Parties.Count:N0} planned"));
        lines.Add(new("crossings recorded arriving", _arrived, null));
        foreach (var what in new[] { "booked on a later sailing than wished", "booking refused: sailing full, next one tried", "parties without a place (their line full for 12 sailings)",
                     "check-ins", "clearances", "sailings departed", "sailings delayed", "sailings cancelled", "crossings rebooked after a cancellation",
                     "crossings left without a place after a cancellation", "authority notifications", "arrival lists sent again after a conflict" })
            lines.Add(new(what, Get(what), null));
        lines.Add(new("sailings scheduled", Sailings, null, "2025: >500 a week on 13 lines"));

        var requests = Enum.GetValues<AssistanceCategory>().Sum(c => Get($"requests: {c}"));
        // FM5's cases are over all its travellers (ports and airports): the reference is the same rate per traveller simulated.
        double PerTraveller(int cases) => (double)cases * passengers / SeasonFacts.FoundationTravellers2025;
        lines.Add(new("assistance requests", requests, PerTraveller(SeasonFacts.AssistanceCases2025), "FM5 2025: 88,441 for 4.06 M travellers, at that rate"));
        foreach (var (category, real) in new[] { (AssistanceCategory.AdministrativeAndCustoms, 20_712), (AssistanceCategory.Medical, 7_602), (AssistanceCategory.VehicleBreakdown, 1_592) })
            lines.Add(new($"  {category}", Get($"requests: {category}"), PerTraveller(real)));
        foreach (var category in new[] { AssistanceCategory.Information, AssistanceCategory.LostDocuments, AssistanceCategory.SocialOrFamily, AssistanceCategory.DeathAndRepatriation })
            lines.Add(new($"  {category}", Get($"requests: {category}"), null));
        lines.Add(new("requests resolved", Get("requests resolved"), null));
        if (board.ValueKind == JsonValueKind.Object && board.TryGetProperty("overdue", out var overdue) && overdue.ValueKind == JsonValueKind.Number)
            lines.Add(new("requests overdue on the board at the end", overdue.GetInt32(), null));

        foreach (var direction in Enum.GetValues<Direction>())
        {
            var peak = _byDay.Where(d => d.Key.Direction == direction).OrderByDescending(d => d.Value).FirstOrDefault();
            lines.Add(new($"peak day {(direction == Direction.Inbound ? "home to Morocco" : "back to Europe")}: {peak.Key.Day:yyyy-MM-dd}", peak.Value,
                direction == Direction.Inbound ? 70_000 * s : 78_000 * s,
                direction == Direction.Inbound ? "FM5 2024: ~70,000 arrivals a day, all modes" : "FM5 2024: >78,000 departures a day, 21–31 Aug, all modes"));
        }

        return new SeasonSummary(plan.From.Year, s, settings.Seed, plan.From.ToString("yyyy-MM-dd"), plan.To.ToString("yyyy-MM-dd"), Math.Round(elapsed.TotalSeconds, 1),
            Requests, Math.Round(Requests / Math.Max(1, elapsed.TotalSeconds), 1), Errors, new Dictionary<string, int>(_errors), lines);
    }
}
