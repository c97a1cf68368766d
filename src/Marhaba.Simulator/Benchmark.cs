using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Marhaba.Crossings;
using Marhaba.Hosting;
using Marhaba.Ports;
using Marhaba.Sailings;
using Marten;
using Npgsql;

namespace Marhaba.Simulator;

public sealed record BenchmarkSettings(int Clients, TimeSpan Duration, int Bookings, int Crossings, int BatchSize, string JsonPath, bool Smoke, int Repeats = 3, int Nodes = 3);

public sealed record Figure(string Name, double Value, string Unit, string? Note = null);

/// <summary>
/// Measures, in one run and against its own database, the platform's full path (HTTP, auth, validation,
/// Wolverine, Marten append, inline projection, the kept answer) set against the same work written by hand
/// with Npgsql (<see cref="HandWritten"/>) and against raw appends, with the server in its own process and
/// the load from this one. The store is season-sized first (a million crossings by default), so that no
/// cache hides a lookup. Every measured phase runs for a fixed time, repeats <see cref="BenchmarkSettings.Repeats"/>
/// times (median and spread reported), counts every answer's status and is charged only its own server CPU.
/// </summary>
public sealed class Benchmark(BenchmarkSettings settings)
{
    private const string DatabaseName = "marhaba_bench";
    private readonly List<Figure> _figures = [];
    private readonly Dictionary<string, (List<double> Values, string Unit, string? Note)> _repeated = [];
    private static JsonSerializerOptions Json => ServerProcess.Json;

    public async Task<IReadOnlyList<Figure>> RunAsync()
    {
        var connection = await OwnDatabase.RecreateAsync(DatabaseName);
        Console.WriteLine($"Benchmark: {Environment.ProcessorCount} cores, {settings.Clients} clients, {settings.Duration.TotalSeconds:0} s per phase, {settings.Repeats} repeats, PostgreSQL {await SettingsAsync(connection)}");

        var key = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(48));
        await using var server = await ServerProcess.StartAsync(connection, key);
        var tokens = new TokenIssuer(new AuthOptions { SigningKey = key });
        using var http = server.Client(settings.Clients * 2);

        Phase($"bookings through the API, then {settings.Crossings:N0} crossings written to the store");
        var (sailings, booked) = await BookAsync(http, tokens, settings.Bookings);
        var seeded = await SeedCrossingsAsync(connection, sailings, settings.Crossings);
        var queue = new Queue<string>(booked.Concat(seeded));
        var staff = tokens.Mint("bench-staff", [Roles.PortStaff], ["MAPTM"]);
        await DepartAsync(http, tokens, sailings);
        await CaughtUpAsync(connection);

        Phase("the hand-written implementation's tables: copies of the store's");
        await HandWritten.CreateAsync(connection);
        using var store = DocumentStore.For(opts => Database.ConfigureMarten(opts, connection));
        var hand = new HandWritten(connection, store.Options.Serializer());
        var handQueue = new HandQueue(seeded.Select(Codes.CrossingIdOf).ToArray(), hand);

        // Steady state, not start-up: each path runs before it is measured (the runtime compiles its hot code
        // again, optimised, in the background; PostgreSQL's caches fill).
        Phase("warm-up");
        var warmUp = settings.Smoke ? settings.Duration : TimeSpan.FromSeconds(20);
        await ArrivalsAsync(http, staff, queue, warmUp, ratePerSecond: null);
        await BatchesAsync(http, staff, queue, settings.Duration);
        await HandArrivalsAsync(connection, hand, handQueue, settings.Duration);
        await HandBatchesAsync(connection, hand, handQueue, settings.Duration);

        for (var repeat = 1; repeat <= settings.Repeats; repeat++)
        {
            await MeasuredPhaseAsync(connection, $"repeat {repeat} of {settings.Repeats}: raw appends");
            await RawBaselineAsync(connection);

            await MeasuredPhaseAsync(connection, $"repeat {repeat}: one keyed arrival, by hand");
            await handQueue.EnsureAsync((int)(Last("hand-written keyed arrival (a)", 3000) * settings.Duration.TotalSeconds * 1.5));
            var machine = MachineCpu.Now();
            var handSingle = await HandArrivalsAsync(connection, hand, handQueue, settings.Duration);
            var handSingleCpu = MachineCpu.Now() - machine;
            Add("hand-written keyed arrival (a)", handSingle, "arrivals/s", "same reads, rule and writes in one transaction, prepared Npgsql");
            Add("PostgreSQL CPU per 1,000 keyed arrivals, by hand (a)", handSingleCpu.PostgresPer1000(handSingle * settings.Duration.TotalSeconds), "ms",
                $"the hand-written code itself, in the load generator: {handSingleCpu.ThisProcessPer1000(handSingle * settings.Duration.TotalSeconds):0} ms");

            await MeasuredPhaseAsync(connection, $"repeat {repeat}: keyed arrivals through the API, saturated");
            using var lag = new ProjectionLagProbe(connection);
            var cpu = server.CpuTime;
            machine = MachineCpu.Now();
            var saturated = await ArrivalsAsync(http, staff, queue, settings.Duration, ratePerSecond: null);
            var cpuSaturated = server.CpuTime - cpu;
            var machineSaturated = MachineCpu.Now() - machine;
            var lagFigure = (await lag.StopAsync()).Single();
            var rate = saturated.Count / saturated.Elapsed.TotalSeconds;
            Add("record arrival, full path, saturated", rate, "req/s", saturated.Answers);
            Add("record arrival p50 at saturation", saturated.P(50), "ms", $"p95 {saturated.P(95):0.0} ms, p99 {saturated.P(99):0.0} ms");
            Add("ratio full-path arrival / hand-written (a)", rate / handSingle, "×", "target ≥ 0.65");
            Add("ratio full-path arrival / raw single-append tx", rate / Last("raw single-append transactions"), "×");
            Add("server CPU per 1,000 keyed arrivals", cpuSaturated.TotalMilliseconds / Math.Max(1, saturated.Count) * 1000, "ms");
            Add("PostgreSQL CPU per 1,000 keyed arrivals, full path", machineSaturated.PostgresPer1000(saturated.Count), "ms",
                $"the load generator: {machineSaturated.ThisProcessPer1000(saturated.Count):0} ms");
            Add(lagFigure.Name, lagFigure.Value, lagFigure.Unit, lagFigure.Note);
            Add("errors answered, saturated arrivals", saturated.Errors, "answers", saturated.Answers);

            await MeasuredPhaseAsync(connection, $"repeat {repeat}: arrivals at half that rate, timed from each request's scheduled send");
            var half = await ArrivalsAsync(http, staff, queue, settings.Duration, ratePerSecond: rate / 2);
            Add("record arrival p99 at half saturation", half.P(99), "ms", $"p50 {half.P(50):0.0} ms at {half.Count / half.Elapsed.TotalSeconds:0} req/s; target ≤ 20 ms");
            Add("errors answered, half-rate arrivals", half.Errors, "answers", half.Answers);

            await MeasuredPhaseAsync(connection, $"repeat {repeat}: ships' lists of {settings.BatchSize}, by hand");
            await handQueue.EnsureAsync((int)(Last("hand-written batch (b)", 50_000) * settings.Duration.TotalSeconds * 1.5));
            machine = MachineCpu.Now();
            var handBatch = await HandBatchesAsync(connection, hand, handQueue, settings.Duration);
            var handBatchCpu = MachineCpu.Now() - machine;
            Add("hand-written batch (b)", handBatch, "arrivals/s", $"{settings.BatchSize} a list: one read, set-based writes in one transaction");
            Add("PostgreSQL CPU per 1,000 arrivals in lists, by hand (b)", handBatchCpu.PostgresPer1000(handBatch * settings.Duration.TotalSeconds), "ms",
                $"the hand-written code itself, in the load generator: {handBatchCpu.ThisProcessPer1000(handBatch * settings.Duration.TotalSeconds):0} ms");

            await MeasuredPhaseAsync(connection, $"repeat {repeat}: ships' lists through the batch endpoint, keyed");
            cpu = server.CpuTime;
            machine = MachineCpu.Now();
            var batches = await BatchesAsync(http, staff, queue, settings.Duration);
            var cpuBatches = server.CpuTime - cpu;
            var machineBatches = MachineCpu.Now() - machine;
            var batchRate = batches.Recorded / batches.Elapsed.TotalSeconds;
            Add("batch endpoint, keyed", batchRate, "arrivals/s", batches.Answers);
            Add("ratio batch endpoint / hand-written (b)", batchRate / handBatch, "×", "target ≥ 0.6");
            Add("ratio batch endpoint / raw batched inserts", batchRate / Last("raw batched inserts of 100 rows"), "×");
            Add("server CPU per 1,000 arrivals in lists", cpuBatches.TotalMilliseconds / Math.Max(1, batches.Recorded) * 1000, "ms");
            Add("PostgreSQL CPU per 1,000 arrivals in lists, batch endpoint", machineBatches.PostgresPer1000(batches.Recorded), "ms");
            Add("errors answered, batch endpoint", batches.Errors, "answers", batches.Answers);
        }
        var peakRss = server.PeakRssMegabytes;
        if (settings.Nodes > 1) await SeveralNodesAsync(connection, key, server, staff, queue);
        _figures.AddRange(_repeated.Select(r => Summarised(r.Key, r.Value.Values, r.Value.Unit, r.Value.Note)));
        _figures.Add(new Figure("crossings in the store when measuring", settings.Crossings + settings.Bookings, "crossings"));
        _figures.Add(new Figure("server peak memory (RSS)", peakRss, "MB", "one node, before the others joined; target < 500 MB"));
        await server.DisposeAsync();

        Phase("rebuild");
        _figures.AddRange(await RebuildAsync(connection));
        await File.WriteAllTextAsync(settings.JsonPath, JsonSerializer.Serialize(new
        {
            machine = new { cores = Environment.ProcessorCount, os = Environment.OSVersion.ToString() },
            date = DateTimeOffset.UtcNow, settings.Clients, durationSeconds = settings.Duration.TotalSeconds, settings.Crossings, settings.Repeats,
            postgres = await SettingsAsync(connection), figures = _figures,
            repeats = _repeated.ToDictionary(r => r.Key, r => r.Value.Values)
        }, new JsonSerializerOptions { WriteIndented = true }));
        return _figures;
    }

    private static void Phase(string name) => Console.WriteLine($"{DateTime.Now:HH:mm:ss} {name}");

    /// <summary>
    /// Every measured phase, the full path's and the baselines' alike, starts from the same state: the projections
    /// caught up with what the phase before wrote, and a checkpoint, so that no phase pays for writing out another's pages.
    /// </summary>
    private static async Task MeasuredPhaseAsync(string connection, string name)
    {
        await CaughtUpAsync(connection);
        await using var conn = new NpgsqlConnection(connection);
        await conn.OpenAsync();
        await new NpgsqlCommand("checkpoint", conn) { CommandTimeout = 0 }.ExecuteNonQueryAsync();
        Phase(name);
    }

    /// <summary>
    /// More server processes join the first on the same database (Wolverine spreads the projections over them);
    /// the same keyed arrivals, the clients spread over the nodes, against the single node's figure of the same run.
    /// </summary>
    private async Task SeveralNodesAsync(string connection, string key, ServerProcess first, string staff, Queue<string> queue)
    {
        Phase($"{settings.Nodes - 1} more nodes join");
        var nodes = new List<ServerProcess> { first };
        try
        {
            for (var i = 1; i < settings.Nodes; i++) nodes.Add(await ServerProcess.StartAsync(connection, key));
            var clients = nodes.Select(n => n.Client(settings.Clients * 2)).ToList();
            await ArrivalsAsync(clients, staff, queue, TimeSpan.FromSeconds(10), ratePerSecond: null); // the new nodes warm up
            for (var repeat = 1; repeat <= settings.Repeats; repeat++)
            {
                await MeasuredPhaseAsync(connection, $"repeat {repeat}: keyed arrivals through {settings.Nodes} nodes, saturated");
                using var lag = new ProjectionLagProbe(connection);
                var cpu = nodes.Sum(n => n.CpuTime.TotalMilliseconds);
                var run = await ArrivalsAsync(clients, staff, queue, settings.Duration, ratePerSecond: null);
                var cpuRun = nodes.Sum(n => n.CpuTime.TotalMilliseconds) - cpu;
                var lagFigure = (await lag.StopAsync()).Single();
                var rate = run.Count / run.Elapsed.TotalSeconds;
                Add($"record arrival, {settings.Nodes} nodes, saturated", rate, "req/s", run.Answers);
                Add($"ratio {settings.Nodes} nodes / one node, saturated arrivals", rate / Last("record arrival, full path, saturated"), "×",
                    "the same machine's two cores: more nodes share them, and PostgreSQL, with the load generator");
                Add($"p99 latency, {settings.Nodes} nodes, saturated", run.P(99), "ms", $"p50 {run.P(50):0.0} ms");
                Add($"{lagFigure.Name}, {settings.Nodes} nodes", lagFigure.Value, lagFigure.Unit, lagFigure.Note);
                Add($"server CPU per 1,000 keyed arrivals, {settings.Nodes} nodes", cpuRun / Math.Max(1, run.Count) * 1000, "ms", "all nodes together");
                Add($"errors answered, {settings.Nodes} nodes", run.Errors, "answers", run.Answers);
            }
            foreach (var client in clients) client.Dispose();
        }
        finally
        {
            foreach (var node in nodes.Skip(1)) await node.DisposeAsync();
        }
    }

    /// <summary>The latest repeat's value of a measure (or a guess before the first).</summary>
    private double Last(string name, double otherwise = 1) => _repeated.TryGetValue(name, out var r) ? r.Values[^1] : otherwise;

    private void Add(string name, double value, string unit, string? note = null)
    {
        if (!_repeated.TryGetValue(name, out var r)) _repeated[name] = r = ([], unit, note);
        r.Values.Add(value);
        _repeated[name] = r with { Note = note };
    }

    /// <summary>The median of the repeats, with their spread (lowest–highest) in the note.</summary>
    private static Figure Summarised(string name, List<double> values, string unit, string? note)
    {
        var sorted = values.Order().ToArray();
        var median = sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
        var spread = sorted.Length > 1 ? $"{sorted.Length} repeats {string.Join(" / ", values.Select(v => v.ToString(v >= 100 ? "N0" : "0.00")))}" : null;
        return new Figure(name, Math.Round(median, 2), unit, string.Join("; ", new[] { spread, note }.Where(n => n is { Length: > 0 })));
    }

    /// <summary>The asynchronous projections have caught up with what was written before the measuring starts.</summary>
    private static async Task CaughtUpAsync(string connection)
    {
        await using var conn = new NpgsqlConnection(connection);
        await conn.OpenAsync();
        for (var i = 0; i < 1200; i++)
        {
            var behind = Convert.ToInt64(await new NpgsqlCommand("""
                select (select coalesce(max(seq_id), 0) from marhaba.mt_events) - coalesce(min(last_seq_id), 0)
                from marhaba.mt_event_progression where name like '%:All'
                """, conn).ExecuteScalarAsync());
            if (behind <= 0) return;
            await Task.Delay(500);
        }
    }

    private static async Task<string> SettingsAsync(string connection)
    {
        await using var conn = new NpgsqlConnection(connection);
        await conn.OpenAsync();
        async Task<string> Show(string name) => (string)(await new NpgsqlCommand($"show {name}", conn).ExecuteScalarAsync())!;
        return $"{await Show("server_version")}, fsync={await Show("fsync")}, synchronous_commit={await Show("synchronous_commit")}";
    }

    /// <summary>Plain Npgsql: one transaction per event (stream row upsert + event row insert), then 100-row batches.</summary>
    private async Task RawBaselineAsync(string connection)
    {
        await using (var conn = new NpgsqlConnection(connection))
        {
            await conn.OpenAsync();
            await new NpgsqlCommand("""
                create table if not exists raw_streams (id uuid primary key, version int not null);
                create table if not exists raw_events (seq bigserial primary key, stream_id uuid not null, version int not null, type text not null, data jsonb not null, at timestamptz not null default now());
                """, conn).ExecuteNonQueryAsync();
        }

        var singles = await ForClientsAsync(connection, async (conn, _) =>
        {
            var stream = Guid.NewGuid();
            await using var tx = await conn.BeginTransactionAsync();
            await using (var upsert = new NpgsqlCommand("insert into raw_streams (id, version) values (@id, 1) on conflict (id) do update set version = raw_streams.version + 1", conn, tx))
            {
                upsert.Parameters.AddWithValue("id", stream);
                await upsert.ExecuteNonQueryAsync();
            }
            await using (var insert = new NpgsqlCommand("insert into raw_events (stream_id, version, type, data) values (@id, 1, 'crossing_arrived', @data::jsonb)", conn, tx))
            {
                insert.Parameters.AddWithValue("id", stream);
                insert.Parameters.AddWithValue("data", """{"port":"MAPTM","lane":"Lane 4","passengers":4}""");
                await insert.ExecuteNonQueryAsync();
            }
            await tx.CommitAsync();
            return (int?)1;
        });
        Add("raw single-append transactions", singles, "tx/s");

        var batched = await ForClientsAsync(connection, async (conn, _) =>
        {
            var sql = "insert into raw_events (stream_id, version, type, data) values " +
                      string.Join(",", Enumerable.Range(0, 100).Select(i => $"(@s{i}, 1, 'crossing_arrived', '{{\"port\":\"MAPTM\"}}'::jsonb)"));
            await using var cmd = new NpgsqlCommand(sql, conn);
            for (var i = 0; i < 100; i++) cmd.Parameters.AddWithValue($"s{i}", Guid.NewGuid());
            await cmd.ExecuteNonQueryAsync();
            return (int?)100;
        });
        Add("raw batched inserts of 100 rows", batched, "rows/s");
    }

    /// <summary>Each client on its own connection, for a fixed time; the work says how much it did, or null when there is no more.</summary>
    private async Task<double> ForClientsAsync(string connection, Func<NpgsqlConnection, int, Task<int?>> work, TimeSpan? duration = null)
    {
        var total = 0L;
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, settings.Clients).Select(async client =>
        {
            await using var conn = new NpgsqlConnection(connection);
            await conn.OpenAsync();
            while (watch.Elapsed < (duration ?? settings.Duration) && await work(conn, client) is { } done) Interlocked.Add(ref total, done);
        }));
        return total / watch.Elapsed.TotalSeconds;
    }

    /// <summary>Sailings across the lines to Tanger Med, and crossings booked on them through the API.</summary>
    private async Task<(List<Guid> Sailings, List<string> References)> BookAsync(HttpClient http, TokenIssuer tokens, int count)
    {
        var planner = tokens.Mint("bench-planner", [Roles.Planner]);
        var sailings = new List<Guid>();
        for (var i = 0; i < Math.Max(4, (count + settings.Crossings) / 1000); i++)
        {
            using var request = Post("/api/sailings", planner, new ScheduleSailing("ESALG-MAPTM", Direction.Inbound, "FRS", $"Bench {i}",
                DateTimeOffset.UtcNow.AddHours(2 + i % 20), null, 5000, 0));
            using var response = await http.SendAsync(request);
            sailings.Add((await response.Content.ReadFromJsonAsync<SailingSummary>(Json))!.Id);
        }
        var operatorToken = tokens.Mint("bench-operator", [Roles.Operator], company: "FRS");
        var references = new System.Collections.Concurrent.ConcurrentBag<string>();
        var next = -1;
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, settings.Clients).Select(async _ =>
        {
            while (Interlocked.Increment(ref next) < count)
            {
                using var request = Post("/api/crossings", operatorToken, new BookCrossing(sailings[next % sailings.Count], 3, 1, null));
                using var response = await http.SendAsync(request);
                references.Add((await response.Content.ReadFromJsonAsync<CrossingBookedResponse>(Json))!.BookingReference);
            }
        }));
        Add("book crossing, full path (row lock per sailing)", count / watch.Elapsed.TotalSeconds, "req/s", $"{sailings.Count} sailings");
        return (sailings, [.. references]);
    }

    /// <summary>The ships leave Algeciras, with no count aboard (nobody is marked missing): their arrivals may be recorded.</summary>
    private static async Task DepartAsync(HttpClient http, TokenIssuer tokens, List<Guid> sailings)
    {
        var planner = tokens.Mint("bench-planner", [Roles.Planner]);
        foreach (var id in sailings)
        {
            using var request = Post($"/api/sailings/{id}/departure", planner, new RecordDeparture(null, null, null));
            (await http.SendAsync(request)).EnsureSuccessStatusCode();
        }
    }

    /// <summary>
    /// The season's crossings, written straight to the event store (the same events a booking appends, ids
    /// from their references), by two writers a thousand a transaction, each writer with its own sailings:
    /// booking them through the API at its own pace would take most of the run.
    /// </summary>
    private static async Task<List<string>> SeedCrossingsAsync(string connection, List<Guid> sailingIds, int count)
    {
        using var store = DocumentStore.For(opts => Database.ConfigureMarten(opts, connection));
        await using var query = store.QuerySession();
        var sailings = await query.LoadManyAsync<Sailing>(sailingIds);
        var now = DateTimeOffset.UtcNow;
        var references = Enumerable.Range(0, count).Select(_ => Codes.NewBookingReference()).ToArray();
        var watch = Stopwatch.StartNew();
        var written = 0;
        await Task.WhenAll(Enumerable.Range(0, 2).Select(async writer =>
        {
            var mine = Enumerable.Range(0, count).Where(i => i % sailings.Count % 2 == writer).ToArray();
            foreach (var chunk in mine.Chunk(1000))
            {
                await using var session = store.LightweightSession();
                foreach (var i in chunk)
                {
                    var s = sailings[i % sailings.Count];
                    var id = Codes.CrossingIdOf(references[i]);
                    session.Events.StartStream<Crossing>(id, new CrossingBooked(id, references[i],
                        s.Id, s.RouteCode, s.Direction, s.Origin, s.Destination, s.DepartureAt, s.ArrivalAt, 3, 1, null, now, "bench-operator"));
                    session.Events.Append(s.Id, new PlacesReserved(id, 4, 0));
                }
                await session.SaveChangesAsync();
                if (Interlocked.Add(ref written, chunk.Length) % 100_000 < chunk.Length)
                    Console.Write($"\r  {written:N0} crossings, {written / watch.Elapsed.TotalSeconds:N0}/s   ");
            }
        }));
        Console.WriteLine();
        return [.. references];
    }

    /// <summary>A slot of the schedule that found no crossing left to arrive: an error of the run, not a skipped line.</summary>
    private const int NotSent = -1;

    private sealed record Run(int Count, TimeSpan Elapsed, double[] Latencies, int Recorded, Dictionary<int, int> Statuses)
    {
        public double P(int percentile) => Math.Round(Statistics.Percentile(Latencies, percentile / 100.0), 2);
        public int Errors => Statuses.Where(s => s.Key is < 200 or >= 300).Sum(s => s.Value);
        public string Answers => "answers " + string.Join(", ", Statuses.OrderBy(s => s.Key)
            .Select(s => $"{s.Value:N0}×{s.Key switch { NotSent => "not sent (no crossing left)", 0 => "no answer", _ => s.Key.ToString() }}"));
    }

    /// <summary>
    /// Port staff record arrivals, each with its Idempotency-Key, at full speed or at a fixed rate. At a fixed rate
    /// each request has its slot in the schedule and its latency runs from that slot, not from when it was
    /// actually sent: a server that falls behind shows it.
    /// </summary>
    private Task<Run> ArrivalsAsync(HttpClient http, string token, Queue<string> references, TimeSpan duration, double? ratePerSecond) =>
        ArrivalsAsync([http], token, references, duration, ratePerSecond);

    /// <summary>The same with the clients spread over several nodes (client i sends to node i mod n).</summary>
    private async Task<Run> ArrivalsAsync(IReadOnlyList<HttpClient> nodes, string token, Queue<string> references, TimeSpan duration, double? ratePerSecond)
    {
        var latencies = new System.Collections.Concurrent.ConcurrentBag<double>();
        var statuses = new System.Collections.Concurrent.ConcurrentDictionary<int, int>();
        var watch = Stopwatch.StartNew();
        var slot = 0;
        await Task.WhenAll(Enumerable.Range(0, settings.Clients).Select(async client =>
        {
            var http = nodes[client % nodes.Count];
            while (true)
            {
                // At a fixed rate every slot of the phase is sent, however late: a slot the clients fell behind on is
                // measured from its schedule, never dropped at the phase's end.
                var from = ratePerSecond is { } rate ? TimeSpan.FromSeconds(Interlocked.Increment(ref slot) / rate) : watch.Elapsed;
                if (from >= duration) return;
                if (from > watch.Elapsed) await Task.Delay(from - watch.Elapsed);
                string reference;
                lock (references)
                {
                    if (!references.TryDequeue(out reference!))
                    {
                        // Counted against the run, as an error: each slot of a schedule, once a client at full speed.
                        statuses.AddOrUpdate(NotSent, 1, (_, n) => n + 1);
                        if (ratePerSecond is null) return;
                        continue;
                    }
                }
                using var request = Post("/api/ports/MAPTM/arrivals", token, new CrossingAtPort(reference, null, "Lane 4", null));
                request.Headers.Add(Idempotency.Header, "bench-" + reference);
                var status = 0;
                try
                {
                    using var response = await http.SendAsync(request);
                    status = (int)response.StatusCode;
                }
                catch (HttpRequestException) { }
                statuses.AddOrUpdate(status, 1, (_, n) => n + 1);
                latencies.Add((watch.Elapsed - from).TotalMilliseconds);
            }
        }));
        var ok = statuses.GetValueOrDefault(200);
        return new Run(ok, watch.Elapsed, [.. latencies.Order()], ok, new(statuses));
    }

    /// <summary>Whole ships' lists through the batch endpoint, each with its Idempotency-Key, for a fixed time.</summary>
    private async Task<Run> BatchesAsync(HttpClient http, string token, Queue<string> references, TimeSpan duration)
    {
        var recorded = 0;
        var statuses = new System.Collections.Concurrent.ConcurrentDictionary<int, int>();
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, settings.Clients).Select(async _ =>
        {
            while (watch.Elapsed < duration)
            {
                List<CrossingAtPort?> list;
                lock (references)
                {
                    if (references.Count < settings.BatchSize) return;
                    list = Enumerable.Range(0, settings.BatchSize).Select(_ => (CrossingAtPort?)new CrossingAtPort(references.Dequeue(), null, "Lane 1", null)).ToList();
                }
                using var request = Post("/api/ports/MAPTM/arrivals/batch", token, new RecordArrivals(list));
                request.Headers.Add(Idempotency.Header, "bench-list-" + list[0]!.BookingReference);
                var status = 0;
                try
                {
                    using var response = await http.SendAsync(request);
                    status = (int)response.StatusCode;
                    if (response.IsSuccessStatusCode)
                        Interlocked.Add(ref recorded, (await response.Content.ReadFromJsonAsync<RecordArrivalsResponse>(Json))!.Recorded);
                }
                catch (HttpRequestException) { }
                statuses.AddOrUpdate(status, 1, (_, n) => n + 1);
            }
        }));
        return new Run(statuses.GetValueOrDefault(200), watch.Elapsed, [], recorded, new(statuses));
    }

    /// <summary>The crossings the hand-written path arrives; once used up, put back as booked between phases.</summary>
    private sealed class HandQueue(Guid[] ids, HandWritten hand)
    {
        private int _next;

        public async Task EnsureAsync(int wanted)
        {
            if (ids.Length - _next >= Math.Min(wanted, ids.Length)) return;
            await hand.ResetAsync();
            _next = 0;
        }

        public Guid[]? Take(int count)
        {
            var start = Interlocked.Add(ref _next, count) - count;
            return start + count <= ids.Length ? ids[start..(start + count)] : null;
        }
    }

    private Task<double> HandArrivalsAsync(string connection, HandWritten hand, HandQueue queue, TimeSpan duration) =>
        ForClientsAsync(connection, async (conn, _) =>
            queue.Take(1) is [var id] ? await hand.ArriveAsync(conn, id, $"hand-{id}") ? 1 : 0 : null, duration);

    private Task<double> HandBatchesAsync(string connection, HandWritten hand, HandQueue queue, TimeSpan duration) =>
        ForClientsAsync(connection, async (conn, _) =>
            queue.Take(settings.BatchSize) is { } ids ? await hand.ArriveAllAsync(conn, ids, $"hand-list-{ids[0]}") : null, duration);

    /// <summary>
    /// Replays every event through every asynchronous projection, from scratch. The speed counts an event once
    /// for each projection that applies it.
    /// </summary>
    public static async Task<List<Figure>> RebuildAsync(string connection)
    {
        using var store = DocumentStore.For(opts => Database.ConfigureMarten(opts, connection));
        // The events each projection applies: those its Apply and Create methods take (IEvent<T> as T).
        static IEnumerable<Type> Applied(Type projection) => projection.GetMethods()
            .Where(m => m.Name is "Apply" or "Create")
            .SelectMany(m => m.GetParameters().Select(p => p.ParameterType))
            .Select(t => t.IsGenericType && t.GetGenericTypeDefinition() == typeof(JasperFx.Events.IEvent<>) ? t.GetGenericArguments()[0] : t)
            .Where(StoredEvents.Names.ContainsKey).Distinct();
        var projections = new Dictionary<string, IEnumerable<Type>>
        {
            [Planning.PlanningSetup.CrossingViews] = new[] { typeof(PortArrivalsProjection), typeof(Planning.SailingLoadProjection), typeof(Planning.SeasonTotalsProjection) }
                .SelectMany(Applied),
            ["AssistanceTimes"] = Applied(typeof(Assistance.AssistanceTimesProjection)),
        };
        await using var conn = new NpgsqlConnection(connection);
        await conn.OpenAsync();
        var byType = new Dictionary<string, long>();
        await using (var cmd = new NpgsqlCommand("select type, count(*) from marhaba.mt_events group by type", conn) { CommandTimeout = 0 })
        await using (var reader = await cmd.ExecuteReaderAsync())
            while (await reader.ReadAsync()) byType[reader.GetString(0)] = reader.GetInt64(1);
        var applied = projections.Values.Sum(types => types.Sum(t => byType.GetValueOrDefault(StoredEvents.Names[t])));

        using var daemon = await store.BuildProjectionDaemonAsync();
        var watch = Stopwatch.StartNew();
        // All at once, as an operator would after a restore: the crossings' three views as one composite, the assistance times beside them.
        await Task.WhenAll(projections.Keys.Select(name => daemon.RebuildProjectionAsync(name, TimeSpan.FromMinutes(30), CancellationToken.None)));
        return [new Figure("rebuild of the 4 asynchronous projections", Math.Round(applied / watch.Elapsed.TotalSeconds, 2), "events/s",
            $"{applied:N0} events applied ({byType.Values.Sum():N0} in the store, each counted once per projection using it); target ≥ 100,000")];
    }

    private static HttpRequestMessage Post<T>(string path, string token, T body) =>
        new(HttpMethod.Post, path) { Content = JsonContent.Create(body, options: Json), Headers = { Authorization = new AuthenticationHeaderValue("Bearer", token) } };
}

/// <summary>
/// CPU time spent so far by PostgreSQL (every postgres process, from /proc) and by this process: what a phase cost
/// the database and the load generator, beside the server's own figure.
/// </summary>
public readonly record struct MachineCpu(double PostgresMs, double ThisProcessMs)
{
    private static readonly double TicksPerSecond = 100; // USER_HZ on Linux

    public static MachineCpu Now()
    {
        double ticks = 0;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!char.IsAsciiDigit(Path.GetFileName(dir)[0])) continue;
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var close = stat.LastIndexOf(')');
                if (!stat.AsSpan(stat.IndexOf('(') + 1, close - stat.IndexOf('(') - 1).StartsWith("postgres")) continue;
                var fields = stat[(close + 2)..].Split(' ');
                // utime, stime, and cutime, cstime: a backend that ended (a connection closed) hands its time to the
                // postmaster that reaped it, so the sum never goes back when one ends during a phase.
                ticks += double.Parse(fields[11]) + double.Parse(fields[12]) + double.Parse(fields[13]) + double.Parse(fields[14]);
            }
            catch (IOException) { } // a process that ended meanwhile
        }
        return new(ticks / TicksPerSecond * 1000, Process.GetCurrentProcess().TotalProcessorTime.TotalMilliseconds);
    }

    public static MachineCpu operator -(MachineCpu a, MachineCpu b) => new(a.PostgresMs - b.PostgresMs, a.ThisProcessMs - b.ThisProcessMs);

    public double PostgresPer1000(double count) => Math.Round(PostgresMs / Math.Max(1, count) * 1000, 1);
    public double ThisProcessPer1000(double count) => Math.Round(ThisProcessMs / Math.Max(1, count) * 1000, 1);
}
