using Marhaba.Assistance;
using Marhaba.Crossings;
using Marhaba.Hosting;
using Marhaba.Planning;
using Marhaba.Ports;
using Marhaba.Sailings;
using Marten;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Wolverine;

namespace Marhaba.Demo;

/// <summary>
/// The demo, kept in today: at each start the days around today that are not yet written get their sailings and
/// bookings (<see cref="DemoTimetable"/>), the staff accounts and a few assistance requests are made on an empty
/// database, and the welcome prints where to go; then, every minute (<c>Demo:RollSeconds</c>), the ports' steps whose
/// time has come are recorded (<see cref="DemoOperations"/>), so that at any hour the quay shows ships arrived,
/// boarding, scheduled, one delayed and one cancelled.
/// </summary>
public sealed class DemoData(
    IDocumentStore store, TimeProvider clock, TokenIssuer tokens, AuthOptions auth, DemoCredentials credentials, TravellerAccess access, IServer server, IServiceScopeFactory scopes,
    IConfiguration configuration, IHostApplicationLifetime lifetime, ILogger<DemoData> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await WaitForStartAsync(stoppingToken);
        string? request = null;
        await using (var query = store.QuerySession())
        {
            if (!await query.Query<Staff.StaffAccount>().AnyAsync(stoppingToken))
            {
                await using var session = store.LightweightSession();
                foreach (var account in Staff.DemoAccounts.For(auth, clock.GetUtcNow())) session.Insert(account);
                await session.SaveChangesAsync(stoppingToken);
            }
            if (!await query.Query<AssistanceRequest>().AnyAsync(stoppingToken)) request = await SeedAssistanceAsync(stoppingToken);
        }
        var traveller = await WriteDaysAsync(stoppingToken);
        await using (var query = store.QuerySession())
            PrintWelcome(traveller, request, await query.Query<Staff.StaffAccount>().ToListAsync(stoppingToken));

        var every = TimeSpan.FromSeconds(configuration.GetValue("Demo:RollSeconds", 60));
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await WriteDaysAsync(stoppingToken);
                await RollAsync(stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // A round that meets a database restart or a step recorded meanwhile is tried again at the next.
                logger.LogWarning(e, "Demo round failed; trying again in {Every}", every);
            }
            await Task.Delay(every, stoppingToken).ContinueWith(_ => { }, CancellationToken.None);
        }
    }

    /// <summary>Writes the days around today not yet written; the booking shown in the welcome, when one was made.</summary>
    private async Task<string?> WriteDaysAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var days = DemoTimetable.DaysAround(now).ToList();
        await using var query = store.QuerySession();
        var written = (await query.LoadManyAsync<DemoDay>(ct, days.Select(d => d.ToString("yyyy-MM-dd")))).Select(d => d.Id).ToHashSet();
        string? shown = null;
        var total = 0;
        foreach (var day in days.Where(d => !written.Contains(d.ToString("yyyy-MM-dd"))))
        {
            var (crossings, traveller) = await DemoTimetable.WriteDayAsync(store, access, day, now, ct);
            shown ??= traveller;
            total += crossings;
        }
        if (total > 0)
        {
            await WriteCapacityChangeAsync(now, ct);
            logger.LogInformation("Demo data: {Crossings} crossings written on the sailings to {To:d}", total, days[^1]);
        }
        return shown;
    }

    /// <summary>Tomorrow afternoon Tanger Med opens fewer customs lanes: the outlook shows the queue it causes.</summary>
    private async Task WriteCapacityChangeAsync(DateTimeOffset now, CancellationToken ct)
    {
        var tomorrow = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(now, ReferenceData.Port(DemoOperations.Port).Zone).DateTime).AddDays(1);
        await using var session = store.LightweightSession();
        var day = await session.Events.FetchForWriting<PortDay>(PortDay.StreamId(DemoOperations.Port, tomorrow), ct);
        if (day.Aggregate is not null) return;
        day.AppendOne(new PortDayCapacitySet(DemoOperations.Port, tomorrow, 12, 22, 300, 60, "customs staff shortage: 2 lanes of 10 open", DemoOperations.Planner, now));
        await session.SaveChangesAsync(ct);
    }

    /// <summary>One round: the disruptions the day lacks, then every sailing with a step due, each in its own transaction.</summary>
    private async Task RollAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        // However long the demo was away, every ship and crossing left behind is brought up to the clock.
        var to = now + DemoOperations.CheckInOpens;
        IReadOnlyList<Sailing> aroundPort;
        List<Guid> sailings;
        await using (var query = store.QuerySession())
        {
            aroundPort = await query.Query<Sailing>()
                .Where(s => (s.Origin == DemoOperations.Port || s.Destination == DemoOperations.Port) && s.DepartureAt > now.AddHours(-12) && s.DepartureAt < now.AddHours(24))
                .ToListAsync(ct);
            sailings = [.. await query.Query<Sailing>()
                .Where(s => s.Status != SailingStatus.Cancelled && s.Status != SailingStatus.Arrived && s.DepartureAt < to)
                .Select(s => s.Id).ToListAsync(ct)];
            sailings.AddRange(await query.Query<Crossing>()
                .Where(c => (c.Status == CrossingStatus.Booked || c.Status == CrossingStatus.CheckedIn || c.Status == CrossingStatus.Embarked || c.Status == CrossingStatus.Arrived)
                            && c.DepartureAt < to)
                .Select(c => c.SailingId).Distinct().ToListAsync(ct));
        }
        using var scope = scopes.CreateScope();
        var bus = scope.ServiceProvider.GetRequiredService<IMessageBus>();
        foreach (var disruption in DemoOperations.DisruptionsDue(aroundPort, now)) await bus.InvokeAsync(disruption, ct);
        foreach (var sailing in sailings.Distinct())
        {
            try
            {
                await bus.InvokeAsync(new RollDemoSailing(sailing), ct);
            }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                // Port staff recorded a step on it meanwhile (a version conflict): the next round takes it from there.
                logger.LogDebug(e, "Demo sailing {Sailing} left for the next round", sailing);
            }
        }
    }

    /// <summary>
    /// Requests of the last hours at the ports, in the 2025 mix (administration and customs first, then
    /// medical, transport); some in hand, some resolved, and one critical medical case opened a moment
    /// ago that nobody has acknowledged: it escalates on the board when its 2 minutes pass.
    /// </summary>
    private async Task<string> SeedAssistanceAsync(CancellationToken ct)
    {
        var random = new Random(88441);
        var now = clock.GetUtcNow();
        var places = new[] { "MAPTM", "MAPTM", "MAPTM", "MANDR", "MATNG", "ITGOA", "ESALG", "FRSET" };
        var mix = new[]
        {
            AssistanceCategory.AdministrativeAndCustoms, AssistanceCategory.AdministrativeAndCustoms, AssistanceCategory.AdministrativeAndCustoms,
            AssistanceCategory.Medical, AssistanceCategory.VehicleBreakdown, AssistanceCategory.Information, AssistanceCategory.LostDocuments,
            AssistanceCategory.SocialOrFamily
        };
        var shown = "";
        await using var session = store.LightweightSession();
        var schedules = new List<(object Message, DateTimeOffset At)>();
        for (var i = 0; i < 25; i++)
        {
            var critical = i == 24;
            var openedAt = critical ? now.AddSeconds(-30) : now.AddMinutes(-random.Next(5, 240));
            var command = new OpenAssistanceRequest(null, null, critical ? AssistanceCategory.Medical : mix[random.Next(mix.Length)],
                critical ? Urgency.Critical : random.NextDouble() < 0.2 ? Urgency.High : Urgency.Normal, null,
                critical ? "Malaise in the vehicle queue, lane 7" : "Demo request", i % 3 == 0 ? Language.ar : Language.fr, ContactChannel.Phone, null);
            var place = critical ? "MAPTM" : places[random.Next(places.Length)];
            var (opened, messages) = OpeningRules.Open(session, access, command, place, null, null, command.Language!.Value, "demo-agent", byTraveller: i % 2 == 0, withOwnCode: true, openedAt);
            schedules.AddRange(messages.OfType<Wolverine.DeliveryMessage<CheckAssistanceTimeLimit>>().Select(m => ((object)m.Message, m.Message.Deadline)));
            if (i == 0) shown = $"{opened.Reference} / access code {opened.AccessCode}";
            if (critical) continue;

            var request = AssistanceRequest.Create(new AssistanceRequestOpened(opened.RequestId, opened.Reference, command.Category!.Value,
                command.Urgency!.Value, place, null, command.Language.Value, null, "demo", false, openedAt, opened.AcknowledgeBy, opened.ResolveBy));
            var steps = new List<object>();
            var at = openedAt.AddMinutes(random.Next(1, 20));
            if (at < now && random.NextDouble() < 0.85) steps.Add(AssistanceRules.Acknowledge(request, $"agent-{place.ToLowerInvariant()}", at).Event!);
            if (steps.Count == 1 && random.NextDouble() < 0.6) steps.Add(new AssistanceRequestAssigned(place, $"agent-{place.ToLowerInvariant()}", "demo", at.AddMinutes(2)));
            var resolvedAt = at.AddMinutes(random.Next(10, 120));
            if (steps.Count == 2 && resolvedAt < now && random.NextDouble() < 0.6)
                steps.Add(new AssistanceRequestResolved(AssistanceOutcome.Solved, $"agent-{place.ToLowerInvariant()}", resolvedAt, request.Category, place, (resolvedAt - openedAt).TotalSeconds));
            if (steps.Count > 0) session.Events.Append(opened.RequestId, steps.ToArray());
        }
        await session.SaveChangesAsync(ct);
        using var scope = scopes.CreateScope();
        var bus = scope.ServiceProvider.GetRequiredService<IMessageBus>();
        foreach (var (message, at) in schedules) await bus.ScheduleAsync(message, at);
        return shown;
    }

    private void PrintWelcome(string? traveller, string? request, IReadOnlyList<Staff.StaffAccount> accounts)
    {
        var address = server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault() ?? "http://localhost:5080";
        var lines = new List<string>
        {
            "", $"Marhaba is running at {address}/ — its pages:",
            $"  Quay desk:           {address}/desk       (port staff: staff-tanger-med, staff-nador, staff-genova)",
            $"  Traveller's page:    {address}/traveller{(string.IsNullOrEmpty(traveller) ? "" : $"  (try {traveller})")}",
            $"  Planners' dashboard: {address}/dashboard  (planner)",
            $"  Assistance board:    {address}/board      (agent-tanger-med)",
        };
        if (!string.IsNullOrEmpty(request)) lines.Add($"  A demo request:      {request}  (on the traveller's page)");
        // Access codes are kept only as keyed hashes: a demo traveller's code is shown once, when the demo writes a new day.
        if (string.IsNullOrEmpty(traveller)) lines.Add("  (a demo traveller's code is shown when a new day is written; ./ops/local-db.sh stop && rm -rf .data starts afresh)");
        lines.Add($"  Staff sign-in:       {address}/signin  (the demo accounts' names and passwords: {credentials.Write(auth)})");
        lines.Add("The API:");
        lines.Add($"  API docs (OpenAPI):  {address}/docs  ({address}/openapi/v1.json)");
        lines.Add($"  Readiness:           {address}/health/ready");
        lines.Add("  Demo tokens (Authorization: Bearer <token>):");
        lines.AddRange(TokenIssuer.DemoUsers.Select(u =>
            $"    {u.Subject,-17} {string.Join(",", u.Roles)}{(u.Ports.Length > 0 ? " @ " + string.Join(",", u.Ports) : u.Company is not null ? $" @ {u.Company}" : ""),-20} {(accounts.FirstOrDefault(a => a.Id == u.Subject) is { } account ? tokens.MintFor(account) : tokens.Mint(u.Subject, u.Roles, u.Ports, company: u.Company))}"));
        lines.Add("");
        Console.WriteLine(string.Join(Environment.NewLine, lines));
    }

    private Task WaitForStartAsync(CancellationToken ct)
    {
        var started = new TaskCompletionSource();
        lifetime.ApplicationStarted.Register(() => started.TrySetResult());
        ct.Register(() => started.TrySetCanceled());
        return started.Task;
    }
}

/// <summary>
/// The demo accounts' passwords, in a file only its owner reads, beside the private cluster: a password is never
/// printed, where a terminal's scroll-back or a log collector would keep it.
/// </summary>
public sealed class DemoCredentials(string folder)
{
    public string Path { get; } = System.IO.Path.Combine(folder, "demo-accounts.txt");

    public string Write(AuthOptions auth)
    {
        Directory.CreateDirectory(folder);
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var file = new StreamWriter(Path, System.Text.Encoding.UTF8, options))
        {
            file.WriteLine("# Marhaba demo accounts (Development only): name, password; sign in at /signin");
            foreach (var user in TokenIssuer.DemoUsers) file.WriteLine($"{user.Subject,-17} {Staff.DemoAccounts.PasswordOf(auth, user.Subject)}");
        }
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(Path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return Path;
    }
}
