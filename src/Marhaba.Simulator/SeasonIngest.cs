using System.Diagnostics;
using System.Text.Json;
using Marhaba.Crossings;
using Marhaba.Hosting;
using Marhaba.Sailings;
using Marten;

namespace Marhaba.Simulator;

/// <summary>
/// A whole season's events written straight to the event store (every crossing's booking, check-in,
/// boarding, arrival and clearance, or its no-show; every sailing and its reservations), then every
/// asynchronous projection rebuilt from them in a process of its own, whose peak memory is read.
/// The API's own speed is the benchmark's business; this proves the volume.
/// </summary>
public static class SeasonIngest
{
    private const string DatabaseName = "marhaba_ingest";

    public static async Task<IReadOnlyList<Figure>> RunAsync(double scale, int seed)
    {
        var figures = new List<Figure>();
        var connection = await OwnDatabase.RecreateAsync(DatabaseName);
        var plan = SeasonPlan.Generate(2025, scale, seed);
        Console.WriteLine($"Ingest: the 2025 season at scale {scale}: {plan.Sailings.Count:N0} sailings, {plan.Parties.Count:N0} crossings, {plan.Parties.Sum(p => p.Persons):N0} travellers.");

        var watch = Stopwatch.StartNew();
        var events = 0L;
        using (var store = DocumentStore.For(opts => Database.ConfigureMarten(opts, connection)))
        {
            await store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
            var sailingIds = plan.Sailings.Select(_ => Guid.CreateVersion7()).ToArray();
            await using (var session = store.LightweightSession())
            {
                foreach (var s in plan.Sailings)
                    session.Events.StartStream<Sailing>(sailingIds[s.Index], new SailingScheduled(sailingIds[s.Index], s.Route, s.Direction, s.Origin, s.Destination,
                        s.Operator, s.Vessel, s.DepartureAt, s.ArrivalAt, s.Passengers * 2, s.LaneMetres * 2, "ingest"));
                await session.SaveChangesAsync();
                events += plan.Sailings.Count;
            }

            // Two writers, a thousand crossings a transaction; each sailing's reservations from one writer only.
            var written = 0;
            await Task.WhenAll(Enumerable.Range(0, 2).Select(async writer =>
            {
                foreach (var chunk in plan.Parties.Where(p => p.Sailing % 2 == writer).Chunk(1000))
                {
                    await using var session = store.LightweightSession();
                    foreach (var party in chunk) Interlocked.Add(ref events, Append(session, plan.Sailings[party.Sailing], sailingIds[party.Sailing], party));
                    await session.SaveChangesAsync();
                    if (Interlocked.Add(ref written, chunk.Length) % 50_000 < chunk.Length)
                        Console.Write($"\r  {written:N0} crossings, {events:N0} events, {events / watch.Elapsed.TotalSeconds:N0} events/s   ");
                }
            }));
        }
        Console.WriteLine();
        figures.Add(new Figure("season ingest (straight to the event store)", Math.Round(events / watch.Elapsed.TotalSeconds), "events/s", $"{events:N0} events, {plan.Parties.Count:N0} crossings"));

        // The rebuild in its own process, so that its peak memory is its own.
        var self = Environment.ProcessPath!;
        var start = new ProcessStartInfo(self) { RedirectStandardOutput = true, ArgumentList = { "rebuild", "--database", DatabaseName } };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet") start.ArgumentList.Insert(0, typeof(SeasonIngest).Assembly.Location);
        using var rebuild = Process.Start(start)!;
        var output = await rebuild.StandardOutput.ReadToEndAsync();
        await rebuild.WaitForExitAsync();
        if (rebuild.ExitCode != 0) throw new InvalidOperationException($"The rebuild failed: {output}");
        figures.AddRange(JsonSerializer.Deserialize<List<Figure>>(output.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1])!);
        return figures;
    }

    private static int Append(IDocumentSession session, PlannedSailing s, Guid sailingId, PlannedParty p)
    {
        var reference = Codes.NewBookingReference();
        var id = Codes.CrossingIdOf(reference);
        session.Events.Append(sailingId, new PlacesReserved(id, p.Persons, VehicleRoom.LaneMetres(p.Vehicle)));
        var events = new List<object>
        {
            new CrossingBooked(id, reference, sailingId, s.Route, s.Direction, s.Origin, s.Destination,
                s.DepartureAt, s.ArrivalAt, p.Adults, p.Children, p.Vehicle, p.BookAt, "ingest")
        };
        if (p.NoShow)
            events.Add(new CrossingMarkedNoShow(s.Origin, s.DepartureAt, "ingest", sailingId, p.Persons, p.Vehicle, false));
        else
        {
            events.Add(new CrossingCheckedIn(s.Origin, "Booth 1", s.DepartureAt.AddHours(-2), "ingest", sailingId, p.Persons, p.Vehicle));
            events.Add(new CrossingEmbarked(s.Origin, sailingId, s.DepartureAt.AddMinutes(-20), "ingest", p.Persons, p.Vehicle));
            events.Add(new CrossingArrived(s.Destination, "Lane 1", s.ArrivalAt.AddMinutes(20), "ingest", p.Persons, p.Vehicle, s.Direction, s.Route, sailingId));
            events.Add(new CrossingCleared(s.Destination, s.ArrivalAt.AddMinutes(90), "ingest", p.Persons, p.Vehicle));
        }
        session.Events.StartStream<Crossing>(id, events.ToArray());
        return events.Count + 1;
    }

    /// <summary>The <c>rebuild</c> command: every asynchronous projection of a database, from scratch; figures as one JSON line.</summary>
    public static async Task<int> RebuildAsync(string database)
    {
        var connection = Hosting.EmbeddedPostgres.ForWorkingTree().ConnectionString(database);
        var figures = await Benchmark.RebuildAsync(connection);
        figures.Add(new Figure("rebuild process peak memory (RSS)", PeakRssMegabytes(Environment.ProcessId), "MB", "target < 600 MB"));
        Console.WriteLine(JsonSerializer.Serialize(figures));
        return 0;
    }

    public static double PeakRssMegabytes(int processId) =>
        File.ReadLines($"/proc/{processId}/status").Where(l => l.StartsWith("VmHWM:"))
            .Select(l => Math.Round(double.Parse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024, 1)).FirstOrDefault();
}
