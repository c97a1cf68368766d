using System.Diagnostics;
using System.Text.Json;
using Marhaba.Crossings;
using Marhaba.Hosting;
using Marhaba.Sailings;
using JasperFx.Events;
using Marten;
using Npgsql;
using Weasel.Core;

namespace Marhaba.Simulator;

/// <summary>
/// A whole season's events written straight to the event store at COPY speed (every crossing's booking, check-in,
/// boarding, arrival and clearance, or its no-show; every sailing and its reservations) through Marten's bulk append,
/// the crossings' and sailings' snapshots beside them through its bulk document insert, then every asynchronous
/// projection rebuilt in a process of its own, whose peak memory is read. The API's own speed is the benchmark's
/// business; this proves the volume. A run killed half-way resumes where it stopped when started again.
/// </summary>
public static class SeasonIngest
{
    private const string DatabaseName = "marhaba_ingest";
    /// <summary>Sailings per transaction: a chunk's streams commit together, or not at all.</summary>
    private const int SailingsPerChunk = 20;

    public static async Task<IReadOnlyList<Figure>> RunAsync(double scale, int seed)
    {
        var figures = new List<Figure>();
        var plan = SeasonPlan.Generate(2025, scale, seed);
        var (connection, resumed) = await OpenAsync(scale, seed);
        Console.WriteLine($"Ingest: the 2025 season at scale {scale}: {plan.Sailings.Count:N0} sailings, {plan.Parties.Count:N0} crossings, {plan.Parties.Sum(p => p.Persons):N0} travellers{(resumed ? "; resuming" : "")}.");

        var watch = Stopwatch.StartNew();
        var (events, crossings) = (0L, 0L);
        var chunks = plan.Sailings.Chunk(SailingsPerChunk).ToArray();
        // Connections reset on their return to the pool: the bulk document insert leaves a temporary table on its connection.
        using (var store = DocumentStore.For(opts => Database.ConfigureMarten(opts, connection + ";No Reset On Close=false")))
        {
            await store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
            var parties = plan.Parties.ToLookup(p => p.Sailing);
            var (written, complete) = await ProgressAsync(connection, chunks.Select(c => SailingIdOf(seed, scale, c[0].Index)).ToArray());
            var done = complete.Count;

            // Two writers, each taking the next chunk: PostgreSQL copies one while the other is built.
            var next = -1;
            await Task.WhenAll(Enumerable.Range(0, 2).Select(_ => Task.Run(async () =>
            {
                await using var query = store.QuerySession();
                for (var i = Interlocked.Increment(ref next); i < chunks.Length; i = Interlocked.Increment(ref next))
                {
                    var first = SailingIdOf(seed, scale, chunks[i][0].Index);
                    if (complete.Contains(first)) continue;
                    var streams = Chunk(store, chunks[i], parties, seed, scale, i);
                    // The events in one transaction; the snapshots after them, so that a chunk whose sailings' snapshots
                    // are stored is whole. A kill between the two leaves events whose snapshots the next run writes again.
                    var redone = written.Contains(first);
                    if (!redone) await store.BulkInsertEventsAsync(streams, batchSize: 10_000);
                    var mode = redone ? BulkInsertMode.OverwriteExisting : BulkInsertMode.InsertsOnly;
                    await store.BulkInsertAsync(await SnapshotsAsync<Crossing>(store, query, streams), mode, batchSize: 10_000);
                    await store.BulkInsertAsync(await SnapshotsAsync<Sailing>(store, query, streams), mode, batchSize: 10_000);
                    Interlocked.Add(ref events, streams.Sum(s => s.Events.Count));
                    Interlocked.Add(ref crossings, streams.Count(s => s.AggregateType == typeof(Crossing)));
                    var finished = Interlocked.Increment(ref done);
                    lock (chunks) Progress(finished, complete.Count, chunks.Length, crossings, events, watch.Elapsed);
                }
            })));
        }
        Console.WriteLine();
        figures.Add(new Figure("season ingest (bulk COPY to the event store)", Math.Round(events / watch.Elapsed.TotalSeconds), "events/s",
            $"{events:N0} events, {crossings:N0} crossings written in {watch.Elapsed.TotalSeconds:N0} s{(resumed ? " (a resumed run: this run's share only)" : "")}; peak memory {PeakRssMegabytes(Environment.ProcessId):N0} MB"));

        // The rebuild in its own process, so that its peak memory is its own.
        var self = Environment.ProcessPath!;
        var start = new ProcessStartInfo(self) { RedirectStandardOutput = true, ArgumentList = { "rebuild", "--database", DatabaseName } };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet") start.ArgumentList.Insert(0, typeof(SeasonIngest).Assembly.Location);
        var rebuildWatch = Stopwatch.StartNew();
        using var rebuild = Process.Start(start)!;
        var output = await rebuild.StandardOutput.ReadToEndAsync();
        await rebuild.WaitForExitAsync();
        if (rebuild.ExitCode != 0) throw new InvalidOperationException($"The rebuild failed: {output}");
        figures.AddRange(JsonSerializer.Deserialize<List<Figure>>(output.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1])!);
        figures.Add(new Figure("season written and rebuilt", Math.Round(watch.Elapsed.TotalSeconds), "s",
            $"ingest {watch.Elapsed.TotalSeconds - rebuildWatch.Elapsed.TotalSeconds:N0} s + rebuild process {rebuildWatch.Elapsed.TotalSeconds:N0} s; target < 180 s at scale 1.0"));
        return figures;
    }

    /// <summary>
    /// The ingest database: kept when it holds this season (scale and seed) half-written, so that the run goes on from
    /// there; made anew otherwise.
    /// </summary>
    private static async Task<(string Connection, bool Resumed)> OpenAsync(double scale, int seed)
    {
        var cluster = Hosting.EmbeddedPostgres.ForWorkingTree();
        await cluster.EnsureStartedAsync("postgres");
        var connection = cluster.ConnectionString(DatabaseName);
        try
        {
            await using var conn = new NpgsqlConnection(connection);
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand("select scale = @scale and seed = @seed from public.ingest_season", conn)
                { Parameters = { new("scale", scale), new("seed", seed) } };
            if (await cmd.ExecuteScalarAsync() is true) return (connection, true);
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.InvalidCatalogName or PostgresErrorCodes.UndefinedTable) { }

        await OwnDatabase.RecreateAsync(DatabaseName);
        NpgsqlConnection.ClearAllPools(); // the pooled connection of the look above went with the old database
        await using (var conn = new NpgsqlConnection(connection))
        {
            await conn.OpenAsync();
            await new NpgsqlCommand($"create table public.ingest_season as select {scale.ToString(System.Globalization.CultureInfo.InvariantCulture)}::float8 as scale, {seed} as seed", conn).ExecuteNonQueryAsync();
        }
        return (connection, false);
    }

    /// <summary>Of the chunks (named by their first sailing), those whose events are stored and those whose snapshots are too.</summary>
    private static async Task<(HashSet<Guid> Written, HashSet<Guid> Complete)> ProgressAsync(string connection, Guid[] firstSailings)
    {
        await using var conn = new NpgsqlConnection(connection);
        await conn.OpenAsync();
        async Task<HashSet<Guid>> Found(string table)
        {
            await using var cmd = new NpgsqlCommand($"select id from marhaba.{table} where id = any(@ids)", conn) { Parameters = { new("ids", firstSailings) } };
            await using var reader = await cmd.ExecuteReaderAsync();
            var found = new HashSet<Guid>();
            while (await reader.ReadAsync()) found.Add(reader.GetGuid(0));
            return found;
        }
        return (await Found("mt_streams"), await Found("mt_doc_sailing"));
    }

    /// <summary>
    /// A chunk's streams, the same on every run of the same season (ids and references drawn from the seed and the
    /// chunk's number), so that a resumed run writes what the killed one would have: each sailing with its reservations,
    /// then its crossings.
    /// </summary>
    private static List<StreamAction> Chunk(DocumentStore store, PlannedSailing[] sailings, ILookup<int, PlannedParty> parties, int seed, double scale, int chunk)
    {
        var random = new Random(seed * 100_003 + chunk);
        var streams = new List<StreamAction>();
        foreach (var s in sailings)
        {
            var sailingId = SailingIdOf(seed, scale, s.Index);
            var sailing = new List<object> { new SailingScheduled(sailingId, s.Route, s.Direction, s.Origin, s.Destination,
                s.Operator, s.Vessel, s.DepartureAt, s.ArrivalAt, s.Passengers * 2, s.LaneMetres * 2, "ingest") };
            var crossings = new List<StreamAction>();
            foreach (var p in parties[s.Index])
            {
                var reference = "MRH-" + new string(Enumerable.Range(0, 10).Select(_ => Codes.Alphabet[random.Next(Codes.Alphabet.Length)]).ToArray());
                var id = Codes.CrossingIdOf(reference);
                sailing.Add(new PlacesReserved(id, p.Persons, VehicleRoom.LaneMetres(p.Vehicle)));
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
                var crossing = StreamAction.Start(store.Events, id, events.ToArray());
                crossing.AggregateType = typeof(Crossing);
                crossings.Add(crossing);
            }
            var stream = StreamAction.Start(store.Events, sailingId, sailing.ToArray());
            stream.AggregateType = typeof(Sailing);
            streams.Add(stream);
            streams.AddRange(crossings);
        }
        return streams;
    }

    /// <summary>The inline snapshots of a chunk's streams, built by the store's own aggregator as an append would build them.</summary>
    private static async Task<List<T>> SnapshotsAsync<T>(DocumentStore store, IQuerySession query, List<StreamAction> streams) where T : class
    {
        var aggregator = store.Options.Projections.AggregatorFor<T>();
        var snapshots = new List<T>();
        foreach (var stream in streams.Where(s => s.AggregateType == typeof(T)))
        {
            var snapshot = (await aggregator.BuildAsync(stream.Events, query, null, CancellationToken.None))!;
            switch (snapshot)
            {
                case Crossing c: c.Version = stream.Events.Count; break;
                case Sailing s: s.Version = stream.Events.Count; break;
            }
            snapshots.Add(snapshot);
        }
        return snapshots;
    }

    private static Guid SailingIdOf(int seed, double scale, int index) =>
        Codes.CrossingIdOf($"ingest-{seed}-{scale.ToString(System.Globalization.CultureInfo.InvariantCulture)}-sailing-{index}");

    /// <summary>The bar counts every chunk stored; the time left comes from this run's pace alone (a resumed run skipped some).</summary>
    private static void Progress(long done, long skipped, long total, long crossings, long events, TimeSpan elapsed)
    {
        const int width = 30;
        var filled = (int)(width * done / total);
        var left = done == skipped ? "" : $", {TimeSpan.FromSeconds(elapsed.TotalSeconds / (done - skipped) * (total - done)):mm\\:ss} left";
        Console.Write($"\r  [{new string('#', filled)}{new string('.', width - filled)}] {100.0 * done / total,5:0.0} %  {crossings:N0} crossings, {events / elapsed.TotalSeconds:N0} events/s{left}   ");
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
