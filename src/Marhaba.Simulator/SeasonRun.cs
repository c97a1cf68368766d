extern alias standin;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Marhaba.Assistance;
using Marhaba.Crossings;
using Marhaba.Hosting;
using Marhaba.PortAuthorities;
using Marhaba.Ports;
using Marhaba.Sailings;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Marhaba.Simulator;

public sealed record SimulationSettings(
    int Year, double Scale, int Seed, double DaySeconds, int Clients, DateOnly? From, DateOnly? To, string JsonPath, bool Quiet,
    string Database = "marhaba_sim");

/// <summary>
/// Plays a season against a Marhaba server of its own (own database, simulated business clock) and a
/// real stand-in port authority, through the HTTP API only, as the actors would: operators book, port
/// staff check in, board, record arrivals and clearances, planners delay and cancel, the Italian
/// authority notifies, travellers open assistance requests and agents work them.
/// </summary>
public sealed class SeasonRun(SimulationSettings settings)
{
    private enum State { NotBooked, Booked, Unplaced, CheckedIn, Arrived, Cleared }

    private static JsonSerializerOptions Json => ServerProcess.Json;

    private SeasonPlan _plan = null!;
    private HttpClient _http = null!;
    private HttpClient _authority = null!;
    private Tokens _tokens = null!;
    private Guid[] _sailingIds = [];
    private Dictionary<Guid, int> _sailingIndex = [];
    private DateTimeOffset[] _departure = [], _arrival = [];
    private bool[] _cancelled = [];
    private int[] _roomPassengers = [], _roomLaneMetres = [];
    private State[] _state = [];
    private int[] _sailingOf = [];
    private Guid[] _crossing = [];
    private string[] _reference = [], _code = [];
    private List<int>[] _partiesOn = [];
    private readonly List<int> _toResync = [];
    private readonly List<(int Party, DateTimeOffset At)> _toClear = [];
    private readonly List<(Guid Request, DateTimeOffset OpenedAt, bool Late, int StepsToResolve)> _openRequests = [];
    private readonly SeasonTally _tally = new();
    /// <summary>The draws made while acting, one generator per sailing or party: the same whichever task gets there first.</summary>
    private Random DrawsFor(int index) => new(unchecked(settings.Seed * 100_003 + index));

    /// <summary>The operators' booking systems, one per company: each books on its own company's sailings.</summary>
    private sealed record Tokens(string Planner, IReadOnlyDictionary<string, string> Operators, string Staff, string Agent, string Admin);

    public async Task<SeasonSummary> RunAsync()
    {
        _plan = SeasonPlan.Generate(settings.Year, settings.Scale, settings.Seed, settings.From, settings.To);
        var sailings = _plan.Sailings.Count;
        _sailingIds = new Guid[sailings];
        _departure = _plan.Sailings.Select(s => s.DepartureAt).ToArray();
        _arrival = _plan.Sailings.Select(s => s.ArrivalAt).ToArray();
        _cancelled = new bool[sailings];
        _roomPassengers = _plan.Sailings.Select(s => s.Passengers).ToArray();
        _roomLaneMetres = _plan.Sailings.Select(s => s.LaneMetres).ToArray();
        _partiesOn = Enumerable.Range(0, sailings).Select(_ => new List<int>()).ToArray();
        var parties = _plan.Parties.Count;
        _state = new State[parties];
        _sailingOf = _plan.Parties.Select(p => p.Sailing).ToArray();
        _crossing = new Guid[parties];
        _reference = new string[parties];
        _code = new string[parties];
        Say($"Season {_plan.From:yyyy-MM-dd} to {_plan.To:yyyy-MM-dd} at scale {settings.Scale}, seed {settings.Seed}: " +
            $"{sailings:N0} sailings, {parties:N0} parties of {_plan.Parties.Sum(p => p.Persons):N0} travellers planned.");

        var connection = await OwnDatabase.RecreateAsync(settings.Database);

        // The stand-in Italian port authority: a real server in this process, on a loopback port.
        var secret = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        var authorityPort = ServerProcess.FreePort();
        await using var authority = standin::Marhaba.PortAuthority.StandInAuthority.Build(["--urls", $"http://127.0.0.1:{authorityPort}"], b =>
        {
            b.Configuration["Authority:Secret"] = secret;
            b.Logging.SetMinimumLevel(LogLevel.Warning);
        });
        await authority.StartAsync();

        var key = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(48));
        await using var server = await ServerProcess.StartAsync(connection, key, new Dictionary<string, string>
        {
            ["Clock__SimulationStart"] = _plan.Start.ToString("O"),
            ["PortAuthority__BaseUrl"] = $"http://127.0.0.1:{authorityPort}",
            ["PortAuthority__Secret"] = secret,
        });
        authority.Configuration["Marhaba:BaseUrl"] = server.Address.ToString();
        _http = server.Client(settings.Clients * 2);
        _authority = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{authorityPort}") };
        var issuer = new TokenIssuer(new AuthOptions { SigningKey = key });
        var ports = ReferenceData.Ports.Select(p => p.Code).ToArray();
        _tokens = new Tokens(issuer.Mint("sim-planner", [Roles.Planner]), ReferenceData.Companies.ToDictionary(c => c, c => issuer.Mint($"sim-operator-{c}", [Roles.Operator], company: c)),
            issuer.Mint("sim-port-staff", [Roles.PortStaff], ports), issuer.Mint("sim-agent", [Roles.Agent], ports), issuer.Mint("sim-admin", [Roles.Admin]));

        var watch = Stopwatch.StartNew();
        await ScheduleSailingsAsync();
        var hours = (int)(_plan.End - _plan.Start).TotalHours;
        var nextParty = 0;
        for (var step = 1; step <= hours; step++)
        {
            var stepWatch = Stopwatch.StartNew();
            var now = _plan.Start.AddHours(step);
            var (moved, answer) = await SendAsync(HttpMethod.Put, "/api/simulation/clock", _tokens.Admin, new MoveClock(now));
            if (moved != HttpStatusCode.OK) throw new InvalidOperationException($"The server's business clock did not move to {now:O}: {(int)moved} {answer}");
            nextParty = await BookAsync(now, nextParty);
            await DelayAndCancelAsync(now);
            await ResyncMovedAsync();
            await CheckInAsync(now);
            await DepartAsync(now);
            await ArriveAsync(now);
            await ClearAsync(now);
            await WorkRequestsAsync(now);
            Progress(now, step, hours, watch.Elapsed);
            if (settings.DaySeconds > 0)
            {
                var due = TimeSpan.FromSeconds(settings.DaySeconds / 24);
                if (stepWatch.Elapsed < due) await Task.Delay(due - stepWatch.Elapsed);
            }
        }
        if (!settings.Quiet && !Console.IsOutputRedirected) Console.WriteLine();

        var summary = await SummariseAsync(watch.Elapsed);
        await File.WriteAllTextAsync(settings.JsonPath, JsonSerializer.Serialize(summary, new JsonSerializerOptions(Json) { WriteIndented = true }));
        await authority.StopAsync();
        return summary;
    }

    private async Task ScheduleSailingsAsync()
    {
        await ForAllAsync(_plan.Sailings, async s =>
        {
            var (status, body) = await SendAsync(HttpMethod.Post, "/api/sailings", _tokens.Planner,
                new ScheduleSailing(s.Route, s.Direction, s.Operator, s.Vessel, s.DepartureAt, s.ArrivalAt, s.Passengers, s.LaneMetres));
            if (status != HttpStatusCode.Created && status != HttpStatusCode.OK) throw new InvalidOperationException($"Sailing refused: {status} {body}");
            _sailingIds[s.Index] = body.GetProperty("id").GetGuid();
        });
        _sailingIndex = _sailingIds.Select((id, i) => (id, i)).ToDictionary(x => x.id, x => x.i);
        _tally.Sailings = _plan.Sailings.Count;
    }

    /// <summary>Operators book the parties due this hour; a full sailing sends them to the next of their line.</summary>
    private async Task<int> BookAsync(DateTimeOffset now, int next)
    {
        var due = new List<PlannedParty>();
        while (next < _plan.Parties.Count && _plan.Parties[next].BookAt <= now) due.Add(_plan.Parties[next++]);
        await ForAllAsync(due, async p =>
        {
            var line = _plan.Sailings[p.Sailing];
            var ofLine = _plan.ByLine[(line.Route, line.Direction)];
            foreach (var sailing in ofLine.Skip(ofLine.BinarySearch(p.Sailing)).Take(12).Select(i => _plan.Sailings[i]))
            {
                // The operator's booking system knows its sailings' room: it offers only those that seem to have some.
                var laneMetres = VehicleRoom.LaneMetres(p.Vehicle);
                if (_departure[sailing.Index] <= now.AddHours(3) || _cancelled[sailing.Index] ||
                    _roomPassengers[sailing.Index] < p.Persons || _roomLaneMetres[sailing.Index] < laneMetres) continue;
                var vehicle = p.Vehicle is { } kind ? new VehicleDetails(kind, $"SIM{p.Index:D7}", line.Origin[..1]) : null;
                var (status, body) = await SendAsync(HttpMethod.Post, "/api/crossings", _tokens.Operators[sailing.Operator], new BookCrossing(_sailingIds[sailing.Index], p.Adults, p.Children, vehicle));
                if (status == HttpStatusCode.Conflict)
                {
                    _roomPassengers[sailing.Index] = 0;
                    _tally.Count("booking refused: sailing full, next one tried");
                    continue;
                }
                Interlocked.Add(ref _roomPassengers[sailing.Index], -p.Persons);
                Interlocked.Add(ref _roomLaneMetres[sailing.Index], -laneMetres);
                if (status != HttpStatusCode.Created) { _tally.Error("book", status); return; }
                _crossing[p.Index] = body.GetProperty("crossingId").GetGuid();
                _reference[p.Index] = body.GetProperty("bookingReference").GetString()!;
                _code[p.Index] = body.GetProperty("accessCode").GetString()!;
                _sailingOf[p.Index] = sailing.Index;
                _state[p.Index] = State.Booked;
                lock (_partiesOn[sailing.Index]) _partiesOn[sailing.Index].Add(p.Index);
                _tally.Count("crossings booked");
                if (sailing.Index != p.Sailing) _tally.Count("booked on a later sailing than wished");
                return;
            }
            _tally.Count("parties without a place (their line full for 12 sailings)");
        });
        return next;
    }

    /// <summary>Planners (and, for Italian lines, the port authority) delay a sailing six hours ahead, or cancel it twelve hours ahead.</summary>
    private async Task DelayAndCancelAsync(DateTimeOffset now)
    {
        var delays = _plan.Delayed.Where(i => !_cancelled[i] && InHour(_departure[i], now.AddHours(6))).ToList();
        _plan.Delayed.ExceptWith(delays);
        await ForAllAsync(delays, async i =>
        {
            var s = _plan.Sailings[i];
            var late = TimeSpan.FromMinutes(30 * DrawsFor(i).Next(2, 9));
            var (departure, arrival) = (_departure[i] + late, _arrival[i] + late);
            var status = s.Italian
                ? await NotifyAsync(new AuthorityNotification(null, NotificationType.SailingDelayed, _sailingIds[i], s.Origin, now, null, null, departure, arrival, "Berth congestion", null, null, null, null))
                : (await SendAsync(HttpMethod.Post, $"/api/sailings/{_sailingIds[i]}/delay", _tokens.Planner, new DelaySailing(departure, arrival, "Weather in the Strait"))).Status;
            if (status != HttpStatusCode.OK) { _tally.Error("delay", status); return; }
            (_departure[i], _arrival[i]) = (departure, arrival);
            _tally.Count("sailings delayed");
        });

        var cancellations = _plan.Cancelled.Where(i => InHour(_departure[i], now.AddHours(12))).ToList();
        await ForAllAsync(cancellations, async i =>
        {
            var s = _plan.Sailings[i];
            var status = s.Italian
                ? await NotifyAsync(new AuthorityNotification(null, NotificationType.SailingCancelled, _sailingIds[i], s.Origin, now, null, null, null, null, "Technical fault", null, null, null, null))
                : (await SendAsync(HttpMethod.Post, $"/api/sailings/{_sailingIds[i]}/cancellation", _tokens.Planner, new CancelSailing("Technical fault"))).Status;
            if (status != HttpStatusCode.OK) { _tally.Error("cancel", status); return; }
            _cancelled[i] = true;
            _tally.Count("sailings cancelled");
            lock (_toResync) _toResync.AddRange(_partiesOn[i].Where(p => _state[p] == State.Booked));
        });
    }

    /// <summary>After a cancellation the platform rebooks the parties: the simulation follows them to their new sailing.</summary>
    private async Task ResyncMovedAsync()
    {
        if (_toResync.Count == 0) return;
        var still = new List<int>();
        await ForAllAsync(_toResync.ToList(), async p =>
        {
            var (status, body) = await SendAsync(HttpMethod.Get, $"/api/crossings/{_crossing[p]}", _tokens.Planner, (object?)null);
            if (status != HttpStatusCode.OK) { _tally.Error("crossing", status); return; }
            var sailing = _sailingIndex[body.GetProperty("sailingId").GetGuid()];
            if (sailing == _sailingOf[p])
            {
                if (body.GetProperty("status").GetString() == nameof(CrossingStatus.Cancelled)) { _state[p] = State.Unplaced; _tally.Count("crossings left without a place after a cancellation"); }
                else lock (still) still.Add(p);
                return;
            }
            _sailingOf[p] = sailing;
            lock (_partiesOn[sailing]) _partiesOn[sailing].Add(p);
            _tally.Count("crossings rebooked after a cancellation");
        });
        _toResync.Clear();
        _toResync.AddRange(still);
    }

    /// <summary>Port staff check in, two to three hours before departure, everyone but the no-shows.</summary>
    private async Task CheckInAsync(DateTimeOffset now)
    {
        var parties = SailingsWhere(i => InHour(_departure[i], now.AddHours(3)))
            .SelectMany(i => _partiesOn[i].Where(p => _sailingOf[p] == i && _state[p] == State.Booked && !_plan.Parties[p].NoShow)).ToList();
        await ForAllAsync(parties, async p =>
        {
            var origin = _plan.Sailings[_sailingOf[p]].Origin;
            var (status, _) = await SendAsync(HttpMethod.Post, $"/api/ports/{origin}/check-ins", _tokens.Staff, new CrossingAtPort(_reference[p], null, $"Booth {p % 8 + 1}", null));
            if (status != HttpStatusCode.OK) { _tally.Error("check-in", status); return; }
            _state[p] = State.CheckedIn;
            _tally.Count("check-ins");
        });
    }

    /// <summary>Sailings leave: the Italian authority notifies its departures, port staff record the others with the count aboard.</summary>
    private async Task DepartAsync(DateTimeOffset now)
    {
        await ForAllAsync(SailingsWhere(i => InHour(_departure[i], now)).ToList(), async i =>
        {
            var s = _plan.Sailings[i];
            var aboard = _partiesOn[i].Where(p => _sailingOf[p] == i && _state[p] == State.CheckedIn).Sum(p => _plan.Parties[p].Persons);
            var status = s.Italian
                ? await NotifyAsync(new AuthorityNotification(null, NotificationType.SailingDeparted, _sailingIds[i], s.Origin, _departure[i], aboard, null, null, null, null, null, null, null, null))
                : (await SendAsync(HttpMethod.Post, $"/api/sailings/{_sailingIds[i]}/departure", _tokens.Planner, new RecordDeparture(_departure[i], aboard, null))).Status;
            if (status != HttpStatusCode.OK) { _tally.Error("departure", status); return; }
            _tally.Count("sailings departed");
            if (s.Direction == Direction.Outbound)
                foreach (var p in _partiesOn[i].Where(p => _sailingOf[p] == i && _state[p] == State.CheckedIn)) _tally.Departed(s.Origin, _plan.Parties[p]);
        });
    }

    /// <summary>A ship comes in: port staff record its arrivals as one list, then the sailing's arrival.</summary>
    private async Task ArriveAsync(DateTimeOffset now)
    {
        await ForAllAsync(SailingsWhere(i => InHour(_arrival[i], now)).ToList(), async i =>
        {
            var s = _plan.Sailings[i];
            var aboard = _partiesOn[i].Where(p => _sailingOf[p] == i && _state[p] == State.CheckedIn).ToList();
            for (var from = 0; from < aboard.Count; from += RecordArrivalsEndpoint.MaxItems)
            {
                var chunk = aboard.Skip(from).Take(RecordArrivalsEndpoint.MaxItems).ToList();
                var list = new RecordArrivals(chunk.Select(p => (CrossingAtPort?)new CrossingAtPort(_reference[p], null, $"Lane {p % 12 + 1}", _arrival[i])).ToList());
                var (status, body) = await SendAsync(HttpMethod.Post, $"/api/ports/{s.Destination}/arrivals/batch", _tokens.Staff, list);
                // A conflict means a crossing of the list changed meanwhile (boarding settled at departure): the desk sends the list again.
                for (var retry = 0; status == HttpStatusCode.Conflict && retry < 5; retry++)
                {
                    _tally.Count("arrival lists sent again after a conflict");
                    await Task.Delay(200 * (retry + 1));
                    (status, body) = await SendAsync(HttpMethod.Post, $"/api/ports/{s.Destination}/arrivals/batch", _tokens.Staff, list);
                }
                if (status != HttpStatusCode.OK) { _tally.Error("arrivals", status); continue; }
                var items = body.GetProperty("items").EnumerateArray().ToList();
                for (var k = 0; k < chunk.Count; k++)
                {
                    if (!items[k].GetProperty("recorded").GetBoolean())
                    {
                        _tally.Error($"arrival refused: {items[k].GetProperty("reason").GetString()?.Split(':')[0]}", (HttpStatusCode)items[k].GetProperty("problem").GetInt32());
                        continue;
                    }
                    var p = chunk[k];
                    _state[p] = State.Arrived;
                    _tally.Arrived(s.Destination, s.Direction, _arrival[i], _plan.Parties[p]);
                    lock (_toClear) _toClear.Add((p, _arrival[i].AddMinutes(40 + p % 80)));
                    if (_plan.Parties[p].Assistance is not null) await OpenRequestAsync(p, s.Destination);
                }
            }
            var (arrived, _) = await SendAsync(HttpMethod.Post, $"/api/sailings/{_sailingIds[i]}/arrival", _tokens.Planner, new RecordSailingArrival(_arrival[i]));
            if (arrived != HttpStatusCode.OK) _tally.Error("sailing arrival", arrived);
        });
    }

    /// <summary>Border police and customs clear each party within about two hours of its arrival.</summary>
    private async Task ClearAsync(DateTimeOffset now)
    {
        List<(int Party, DateTimeOffset At)> due;
        lock (_toClear)
        {
            due = _toClear.Where(c => c.At <= now).ToList();
            _toClear.RemoveAll(c => c.At <= now);
        }
        await ForAllAsync(due, async c =>
        {
            var port = _plan.Sailings[_sailingOf[c.Party]].Destination;
            var (status, _) = await SendAsync(HttpMethod.Post, $"/api/ports/{port}/clearances", _tokens.Staff, new CrossingAtPort(_reference[c.Party], null, null, c.At));
            if (status != HttpStatusCode.OK) { _tally.Error("clearance", status); return; }
            _state[c.Party] = State.Cleared;
            _tally.Count("clearances");
        });
    }

    /// <summary>A traveller asks for help on arrival, with their booking reference and code.</summary>
    private async Task OpenRequestAsync(int p, string port)
    {
        var party = _plan.Parties[p];
        var (status, body) = await SendAsync(HttpMethod.Post, "/api/traveller/assistance", null, new OpenAssistanceRequest(_reference[p], _code[p],
            party.Assistance, party.Urgency, port, "Simulated request", party.Language, ContactChannel.Phone, null));
        if (status != HttpStatusCode.Created && status != HttpStatusCode.OK) { _tally.Error("assistance", status); return; }
        _tally.Count($"requests: {party.Assistance}");
        // Most are acknowledged within the hour and resolved within a few; one in twenty waits past its limit.
        var draws = DrawsFor(p);
        lock (_openRequests) _openRequests.Add((body.GetProperty("requestId").GetGuid(), DateTimeOffset.MinValue, draws.NextDouble() < 0.05, draws.Next(1, 5)));
    }

    /// <summary>Agents acknowledge the requests of the last hour and resolve those whose time has come.</summary>
    private async Task WorkRequestsAsync(DateTimeOffset now)
    {
        List<(Guid Request, DateTimeOffset OpenedAt, bool Late, int StepsToResolve)> work;
        lock (_openRequests) { work = _openRequests.ToList(); _openRequests.Clear(); }
        var remaining = new List<(Guid, DateTimeOffset, bool, int)>();
        await ForAllAsync(work, async r =>
        {
            if (r.OpenedAt == DateTimeOffset.MinValue)
            {
                if (r.Late) { lock (remaining) remaining.Add((r.Request, now.AddHours(-1), false, r.StepsToResolve + 2)); return; }
                var (ack, _) = await SendAsync(HttpMethod.Post, $"/api/assistance/{r.Request}/acknowledge", _tokens.Agent, (object?)null);
                if (ack != HttpStatusCode.OK) { _tally.Error("acknowledge", ack); return; }
                lock (remaining) remaining.Add((r.Request, now, false, r.StepsToResolve));
                return;
            }
            if (now < r.OpenedAt.AddHours(r.StepsToResolve)) { lock (remaining) remaining.Add(r); return; }
            var (resolved, _) = await SendAsync(HttpMethod.Post, $"/api/assistance/{r.Request}/resolve", _tokens.Agent, new ResolveRequest(AssistanceOutcome.Solved, null));
            if (resolved == HttpStatusCode.Conflict)
            {
                // Not yet acknowledged (the late ones): acknowledge now, resolve next hour.
                await SendAsync(HttpMethod.Post, $"/api/assistance/{r.Request}/acknowledge", _tokens.Agent, (object?)null);
                lock (remaining) remaining.Add((r.Request, now, false, 1));
                return;
            }
            if (resolved != HttpStatusCode.OK) { _tally.Error("resolve", resolved); return; }
            _tally.Count("requests resolved");
        });
        lock (_openRequests) _openRequests.AddRange(remaining);
    }

    private async Task<SeasonSummary> SummariseAsync(TimeSpan elapsed)
    {
        // The asynchronous dashboards catch up; then the platform's own season totals are read.
        JsonElement season = default;
        for (var attempt = 0; attempt < 120; attempt++)
        {
            (_, season) = await SendAsync(HttpMethod.Get, $"/api/planning/season?season={_plan.From.Year}", _tokens.Planner, (object?)null);
            var recorded = season.TryGetProperty("ports", out var ports) ? ports.EnumerateArray().Sum(l => l.GetProperty("toDate").GetProperty("crossings").GetInt32()) : 0;
            if (recorded >= _tally.ArrivedCrossings) break;
            await Task.Delay(1000);
        }
        var (_, board) = await SendAsync(HttpMethod.Get, "/api/assistance/board", _tokens.Agent, (object?)null);
        return _tally.Summary(_plan, settings, elapsed, season, board);
    }

    private IEnumerable<int> SailingsWhere(Func<int, bool> predicate) =>
        Enumerable.Range(0, _plan.Sailings.Count).Where(i => !_cancelled[i] && predicate(i));

    private static bool InHour(DateTimeOffset at, DateTimeOffset hourEnd) => at > hourEnd.AddHours(-1) && at <= hourEnd;

    private async Task<HttpStatusCode> NotifyAsync(AuthorityNotification notification)
    {
        using var response = await _authority.PostAsJsonAsync("/notify", notification, Json);
        var answer = await response.Content.ReadFromJsonAsync<JsonElement>(Json);
        _tally.Count("authority notifications");
        return (HttpStatusCode)answer.GetProperty("status").GetInt32();
    }

    private async Task<(HttpStatusCode Status, JsonElement Body)> SendAsync<T>(HttpMethod method, string path, string? token, T body)
    {
        using var request = new HttpRequestMessage(method, path);
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (body is not null) request.Content = JsonContent.Create(body, options: Json);
        using var response = await _http.SendAsync(request);
        _tally.Request();
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length > 0 && response.Content.Headers.ContentType?.MediaType?.Contains("json") == true
            ? JsonDocument.Parse(text).RootElement.Clone() : default);
    }

    private Task ForAllAsync<T>(IEnumerable<T> items, Func<T, Task> act) =>
        Parallel.ForEachAsync(items, new ParallelOptions { MaxDegreeOfParallelism = settings.Clients }, async (item, _) => await act(item));

    private void Progress(DateTimeOffset now, int step, int steps, TimeSpan elapsed)
    {
        if (settings.Quiet) return;
        var redirected = Console.IsOutputRedirected;
        if (redirected && now.Hour != 0) return;
        const int width = 30;
        var done = (int)(width * (double)step / steps);
        var line = $"[{new string('#', done)}{new string('.', width - done)}] {now:yyyy-MM-dd HH:mm} | booked {_tally.Get("crossings booked"):N0} | arrived {_tally.ArrivedCrossings:N0} " +
                   $"| {_tally.Requests / Math.Max(1, elapsed.TotalSeconds):N0} req/s | errors {_tally.Errors}";
        if (redirected) Console.WriteLine(line);
        else Console.Write("\r" + line.PadRight(Console.WindowWidth > 0 ? Math.Min(Console.WindowWidth - 1, 140) : 140));
    }

    private void Say(string text) { if (!settings.Quiet) Console.WriteLine(text); }

}
