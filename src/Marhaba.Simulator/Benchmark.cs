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

public sealed record BenchmarkSettings(int Clients, TimeSpan Duration, int Bookings, int Crossings, int BatchSize, string JsonPath, bool Smoke);

public sealed record Figure(string Name, double Value, string Unit, string? Note = null);

/// <summary>
/// Measures, in one run and against its own database, the raw PostgreSQL baseline and the platform's
/// full path (HTTP, auth, validation, Wolverine, Marten append, inline projection, idempotency), with
/// the server in its own process and the load from this one.
/// </summary>
public sealed class Benchmark(BenchmarkSettings settings)
{
    private const string DatabaseName = "marhaba_bench";
    private readonly List<Figure> _figures = [];
    private static JsonSerializerOptions Json => ServerProcess.Json;

    public async Task<IReadOnlyList<Figure>> RunAsync()
    {
        var connection = await OwnDatabase.RecreateAsync(DatabaseName);
        Console.WriteLine($"Benchmark: {Environment.ProcessorCount} cores, {settings.Clients} clients, {settings.Duration.TotalSeconds:0} s per phase, PostgreSQL {await SettingsAsync(connection)}");

        Phase("raw PostgreSQL baseline");
        await RawBaselineAsync(connection);

        var key = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(48));
        await using var server = await ServerProcess.StartAsync(connection, key);
        var tokens = new TokenIssuer(new AuthOptions { SigningKey = key });
        using var http = server.Client(settings.Clients * 2);

        Phase("bookings through the API, then crossings seeded for the arrival phases");
        var (sailings, booked) = await BookAsync(http, tokens, settings.Bookings);
        var queue = new Queue<string>(booked.Concat(await SeedCrossingsAsync(connection, sailings, settings.Crossings)));
        var staff = tokens.Mint("bench-staff", [Roles.PortStaff], ["MAPTM"]);
        await DepartAsync(http, tokens, sailings);

        // Steady state, not start-up: the arrival and batch paths run for 20 s (the runtime compiles its hot code
        // again, optimised, in the background) before they are measured.
        Phase("warm-up");
        await ArrivalsAsync(http, staff, queue, settings.Smoke ? settings.Duration : TimeSpan.FromSeconds(20), ratePerSecond: null);
        await BulkAsync(http, staff, queue, batches: settings.Clients);
        var cpuBefore = server.CpuTime;

        using var lag = new ProjectionLagProbe(connection);
        Phase("arrivals, saturated");
        var saturated = await ArrivalsAsync(http, staff, queue, settings.Duration, ratePerSecond: null);
        var lagFigures = await lag.StopAsync();
        var commands = saturated.Count;
        Add("record arrival, full path, saturated", saturated.Count / saturated.Elapsed.TotalSeconds, "req/s");
        Add("record arrival p50 / p95 / p99 at saturation", saturated.P(50), "ms", $"p95 {saturated.P(95):0.0} ms, p99 {saturated.P(99):0.0} ms");
        Add("ratio full path / raw single-append tx", saturated.Count / saturated.Elapsed.TotalSeconds / Value("raw single-append transactions"), "×", "target ≥ 0.6");

        Phase("arrivals at half that rate");
        var half = await ArrivalsAsync(http, staff, queue, settings.Duration, ratePerSecond: saturated.Count / saturated.Elapsed.TotalSeconds / 2);
        commands += half.Count;
        Add("record arrival p99 at half saturation", half.P(99), "ms", $"p50 {half.P(50):0.0} ms at {half.Count / half.Elapsed.TotalSeconds:0} req/s; target ≤ 25 ms");

        Phase("batch endpoint");
        var bulk = await BulkAsync(http, staff, queue, batches: int.MaxValue);
        Add("bulk ingest (arrivals batch endpoint)", bulk, "events/s");
        Add("ratio bulk / raw batched inserts", bulk / Value("raw batched inserts of 100 rows"), "×", "target ≥ 0.5");

        _figures.AddRange(lagFigures);
        Add("CPU time per 1,000 commands", (server.CpuTime - cpuBefore).TotalMilliseconds / Math.Max(1, commands) * 1000, "ms");
        Add("server peak memory (RSS)", server.PeakRssMegabytes, "MB", "target < 600 MB");
        await server.DisposeAsync();

        Phase("rebuild");
        _figures.AddRange(await RebuildAsync(connection));
        await File.WriteAllTextAsync(settings.JsonPath, JsonSerializer.Serialize(new
        {
            machine = new { cores = Environment.ProcessorCount, os = Environment.OSVersion.ToString() },
            date = DateTimeOffset.UtcNow, settings.Clients, durationSeconds = settings.Duration.TotalSeconds, settings.Crossings,
            postgres = await SettingsAsync(connection), figures = _figures
        }, new JsonSerializerOptions { WriteIndented = true }));
        return _figures;
    }

    private static void Phase(string name) => Console.WriteLine($"{DateTime.Now:HH:mm:ss} {name}");

    private double Value(string name) => _figures.Single(f => f.Name == name).Value;
    private void Add(string name, double value, string unit, string? note = null) => _figures.Add(new Figure(name, Math.Round(value, 2), unit, note));


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
            return 1;
        });
        Add("raw single-append transactions", singles, "tx/s");

        var batched = await ForClientsAsync(connection, async (conn, _) =>
        {
            var sql = "insert into raw_events (stream_id, version, type, data) values " +
                      string.Join(",", Enumerable.Range(0, 100).Select(i => $"(@s{i}, 1, 'crossing_arrived', '{{\"port\":\"MAPTM\"}}'::jsonb)"));
            await using var cmd = new NpgsqlCommand(sql, conn);
            for (var i = 0; i < 100; i++) cmd.Parameters.AddWithValue($"s{i}", Guid.NewGuid());
            await cmd.ExecuteNonQueryAsync();
            return 100;
        });
        Add("raw batched inserts of 100 rows", batched, "rows/s");
    }

    private async Task<double> ForClientsAsync(string connection, Func<NpgsqlConnection, int, Task<int>> work)
    {
        var total = 0L;
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, settings.Clients).Select(async client =>
        {
            await using var conn = new NpgsqlConnection(connection);
            await conn.OpenAsync();
            while (watch.Elapsed < settings.Duration) Interlocked.Add(ref total, await work(conn, client));
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
        var operatorToken = tokens.Mint("bench-operator", [Roles.Operator], lines: ["ESALG-MAPTM"]);
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
    /// More booked crossings for the arrival phases, written straight to the event store (the same
    /// events a booking appends): booking through the API at its own pace would take most of the run.
    /// </summary>
    private static async Task<List<string>> SeedCrossingsAsync(string connection, List<Guid> sailingIds, int count)
    {
        using var store = DocumentStore.For(opts => Database.ConfigureMarten(opts, connection));
        var references = new List<string>(count);
        await using var query = store.QuerySession();
        var sailings = await query.LoadManyAsync<Sailing>(sailingIds);
        var now = DateTimeOffset.UtcNow;
        for (var done = 0; done < count;)
        {
            await using var session = store.LightweightSession();
            for (var i = 0; i < 1000 && done < count; i++, done++)
            {
                var s = sailings[done % sailings.Count];
                var reference = Codes.NewBookingReference();
                var id = Codes.CrossingIdOf(reference);
                session.Events.StartStream<Crossing>(id, new CrossingBooked(id, reference,
                    s.Id, s.RouteCode, s.Direction, s.Origin, s.Destination, s.DepartureAt, s.ArrivalAt, 3, 1, null, now, "bench-operator"));
                session.Events.Append(s.Id, new PlacesReserved(id, 4, 0));
                references.Add(reference);
            }
            await session.SaveChangesAsync();
        }
        return references;
    }

    private sealed record Run(int Count, TimeSpan Elapsed, double[] Latencies)
    {
        public double P(int percentile) => Math.Round(Statistics.Percentile(Latencies, percentile / 100.0), 2);
    }

    /// <summary>Port staff record arrivals, each with its Idempotency-Key, at full speed or at a fixed rate.</summary>
    private async Task<Run> ArrivalsAsync(HttpClient http, string token, Queue<string> references, TimeSpan duration, double? ratePerSecond)
    {
        var latencies = new System.Collections.Concurrent.ConcurrentBag<double>();
        var watch = Stopwatch.StartNew();
        var started = 0;
        await Task.WhenAll(Enumerable.Range(0, settings.Clients).Select(async _ =>
        {
            while (watch.Elapsed < duration)
            {
                if (ratePerSecond is { } rate)
                {
                    var due = TimeSpan.FromSeconds(Interlocked.Increment(ref started) / rate);
                    if (due > watch.Elapsed) await Task.Delay(due - watch.Elapsed);
                }
                string reference;
                lock (references) { if (!references.TryDequeue(out reference!)) return; }
                using var request = Post("/api/ports/MAPTM/arrivals", token, new CrossingAtPort(reference, null, "Lane 4", null));
                request.Headers.Add(IdempotencyMiddleware.Header, "bench-" + reference);
                var t = Stopwatch.GetTimestamp();
                using var response = await http.SendAsync(request);
                if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"Arrival refused: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                latencies.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
            }
        }));
        return new Run(latencies.Count, watch.Elapsed, [.. latencies.Order()]);
    }

    /// <summary>Whole ships' lists through the batch endpoint.</summary>
    private async Task<double> BulkAsync(HttpClient http, string token, Queue<string> references, int batches)
    {
        var lists = new List<List<CrossingAtPort?>>();
        while (references.Count >= settings.BatchSize && lists.Count < batches)
            lists.Add(Enumerable.Range(0, settings.BatchSize).Select(_ => (CrossingAtPort?)new CrossingAtPort(references.Dequeue(), null, "Lane 1", null)).ToList());
        var recorded = 0;
        var next = -1;
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, Math.Min(settings.Clients, Math.Max(1, lists.Count))).Select(async _ =>
        {
            while (Interlocked.Increment(ref next) < lists.Count)
            {
                using var request = Post("/api/ports/MAPTM/arrivals/batch", token, new RecordArrivals(lists[next]));
                using var response = await http.SendAsync(request);
                Interlocked.Add(ref recorded, (await response.Content.ReadFromJsonAsync<RecordArrivalsResponse>(Json))!.Recorded);
            }
        }));
        return recorded / watch.Elapsed.TotalSeconds;
    }

    /// <summary>Replays every event through every asynchronous projection, from scratch.</summary>
    public static async Task<List<Figure>> RebuildAsync(string connection)
    {
        using var store = DocumentStore.For(opts => Database.ConfigureMarten(opts, connection));
        await using var session = store.QuerySession();
        var events = await session.Events.QueryAllRawEvents().CountAsync();
        using var daemon = await store.BuildProjectionDaemonAsync();
        var watch = Stopwatch.StartNew();
        foreach (var name in new[] { "PortArrivals", "SailingLoad", "SeasonTotals", "AssistanceTimes" })
            await daemon.RebuildProjectionAsync(name, TimeSpan.FromMinutes(30), CancellationToken.None);
        return [new Figure("rebuild of the 4 asynchronous projections", Math.Round(events * 4 / watch.Elapsed.TotalSeconds, 2), "events/s", $"{events:N0} events each; target ≥ 40,000")];
    }

    private static HttpRequestMessage Post<T>(string path, string token, T body) =>
        new(HttpMethod.Post, path) { Content = JsonContent.Create(body, options: Json), Headers = { Authorization = new AuthenticationHeaderValue("Bearer", token) } };
}
