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
/// Fills an empty database with a few days of the operation around today (sailings on the main
/// lines, a few hundred crossings, the past ones arrived), then prints where to go and the demo
/// tokens. A fixed seed keeps the shape of the demo the same from one run to the next.
/// </summary>
public sealed class DemoData(
    IDocumentStore store, TimeProvider clock, TokenIssuer tokens, AuthOptions auth, DemoCredentials credentials, TravellerAccess access, IServer server, IServiceScopeFactory scopes,
    IHostApplicationLifetime lifetime, ILogger<DemoData> logger) : BackgroundService
{
    /// <summary>Sailings per day each way, passenger capacity, lane-metres, vessel: a demo-sized slice of the 2025 network.</summary>
    private static readonly (string Route, double PerDay, int Passengers, int LaneMetres, string Vessel)[] Lines =
    [
        ("ESALG-MAPTM", 4, 1000, 1250, "Baleària Ceuta Jet"),
        ("ESTAR-MATNG", 3, 600, 500, "Baleària Kattegat"),
        ("ESLEI-MANDR", 1, 1400, 2125, "Nissos Chios"),
        ("ESMOT-MAAHU", 1, 900, 1000, "Volcán de Tamasite"),
        ("ITGOA-MAPTM", 0.5, 1200, 1800, "GNV Victory"),
        ("FRSET-MANDR", 0.5, 1000, 1500, "GNV Majestic"),
        ("FRMRS-MAPTM", 0.34, 1000, 1400, "Piana"),
    ];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await WaitForStartAsync(stoppingToken);
        string? traveller = null, request = null;
        await using (var query = store.QuerySession())
        {
            if (!await query.Query<Sailing>().AnyAsync(stoppingToken))
            {
                traveller = await SeedAsync(stoppingToken);
                request = await SeedAssistanceAsync(stoppingToken);
            }
            if (!await query.Query<Staff.StaffAccount>().AnyAsync(stoppingToken))
            {
                await using var session = store.LightweightSession();
                foreach (var account in Staff.DemoAccounts.For(auth, clock.GetUtcNow())) session.Insert(account);
                await session.SaveChangesAsync(stoppingToken);
            }
        }
        await using (var query = store.QuerySession())
            PrintWelcome(traveller, request, await query.Query<Staff.StaffAccount>().ToListAsync(stoppingToken));
    }

    private async Task<string> SeedAsync(CancellationToken ct)
    {
        var random = new Random(2025);
        var now = clock.GetUtcNow();
        var today = new DateTimeOffset(now.UtcDateTime.Date, TimeSpan.Zero);
        var shown = "";
        var crossings = 0;

        await using var session = store.LightweightSession();
        foreach (var (routeCode, perDay, passengers, laneMetres, vessel) in Lines)
        {
            var route = ReferenceData.Route(routeCode);
            foreach (var direction in Enum.GetValues<Direction>())
            {
                var gap = TimeSpan.FromHours(24 / perDay);
                for (var departure = today.AddDays(-3).AddHours(7 + random.Next(0, 5)); departure < today.AddDays(4); departure += gap)
                {
                    var sailingId = Guid.CreateVersion7();
                    var scheduled = ScheduleSailingEndpoint.Schedule(
                        new ScheduleSailing(routeCode, direction, route.Operators[random.Next(route.Operators.Length)], vessel,
                            departure, null, passengers, laneMetres), sailingId, "demo-planner");
                    session.Events.StartStream<Sailing>(sailingId, scheduled);

                    // Homeward sailings of the days ahead are well booked (the planners' concern); the rest lightly.
                    var loadFactor = direction == Direction.Inbound && departure > now ? 0.45 + random.NextDouble() * 0.5 : 0.03 + random.NextDouble() * 0.07;
                    for (var booked = 0; booked < passengers * loadFactor;)
                    {
                        var code = Codes.NewAccessCode();
                        var (_, reference, party) = Book(session, scheduled, random, code);
                        if (shown == "" && scheduled.ArrivalAt < now) shown = $"{reference} / access code {code}";
                        booked += party;
                        crossings++;
                    }
                    await session.SaveChangesAsync(ct);
                }
            }
        }

        // Tomorrow afternoon Tanger Med opens fewer customs lanes: the outlook shows the queue it causes.
        var tomorrow = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(now, ReferenceData.Port("MAPTM").Zone).DateTime).AddDays(1);
        session.Events.StartStream<PortDay>(PortDay.StreamId("MAPTM", tomorrow),
            new PortDayCapacitySet("MAPTM", tomorrow, 12, 22, 300, 60, "customs staff shortage: 2 lanes of 10 open", "demo-planner", now));
        await session.SaveChangesAsync(ct);
        logger.LogInformation("Demo data: {Crossings} crossings on the sailings from {From:d} to {To:d}", crossings, today.AddDays(-3), today.AddDays(4));
        return shown;

        (Guid, string, int) Book(IDocumentSession s, SailingScheduled sailing, Random r, string code)
        {
            var reference = Codes.NewBookingReference();
            var id = Codes.CrossingIdOf(reference);
            var adults = r.Next(1, 4);
            var children = r.Next(0, 4);
            VehicleKind? vehicle = r.NextDouble() switch
            {
                < 0.30 => null,
                < 0.82 => VehicleKind.Car,
                < 0.90 => VehicleKind.Van,
                < 0.94 => VehicleKind.Camper,
                < 0.97 => VehicleKind.CarWithTrailer,
                _ => VehicleKind.Motorbike
            };
            var bookedAt = sailing.DepartureAt.AddDays(-r.Next(2, 60));
            s.Events.Append(sailing.SailingId, new PlacesReserved(id, adults + children, VehicleRoom.LaneMetres(vehicle)));
            var events = new List<object>
            {
                new CrossingBooked(id, reference, sailing.SailingId, sailing.RouteCode, sailing.Direction,
                    sailing.Origin, sailing.Destination, sailing.DepartureAt, sailing.ArrivalAt, adults, children, vehicle, bookedAt, "demo-operator")
            };
            if (vehicle is not null)
                s.Store(new CrossingVehicle { Id = id, Plate = $"{(char)('A' + r.Next(26))}{(char)('A' + r.Next(26))}{r.Next(100, 999)}{(char)('A' + r.Next(26))}{(char)('A' + r.Next(26))}", Country = sailing.Origin[..1] });

            var now = clock.GetUtcNow();
            var checkIn = sailing.DepartureAt.AddHours(-3).AddMinutes(r.Next(0, 120));
            if (checkIn < now && r.NextDouble() < 0.96)
            {
                events.Add(new CrossingCheckedIn(sailing.Origin, $"Booth {r.Next(1, 9)}", checkIn, "demo-staff", sailing.SailingId, adults + children, vehicle));
                if (sailing.DepartureAt < now) events.Add(new CrossingEmbarked(sailing.Origin, sailing.SailingId, sailing.DepartureAt.AddMinutes(-20), "demo-staff", adults + children, vehicle));
                var arrived = sailing.ArrivalAt.AddMinutes(r.Next(10, 180));
                if (arrived < now)
                {
                    events.Add(new CrossingArrived(sailing.Destination, $"Lane {r.Next(1, 13)}", arrived, "demo-staff", adults + children, vehicle, sailing.Direction, sailing.RouteCode, sailing.SailingId));
                    var cleared = arrived.AddMinutes(r.Next(20, 150));
                    if (cleared < now) events.Add(new CrossingCleared(sailing.Destination, cleared, "demo-staff", adults + children, vehicle));
                }
            }
            s.Events.StartStream<Crossing>(id, events.ToArray());
            s.Insert(access.Issue(reference, id, code, bookedAt));
            if (sailing.DepartureAt > now)
            {
                // Travellers still to sail asked to be told of changes, each in a language of the operation: their messages
                // land in the local mail server's inbox, and one in four also asked for SMS (the stand-in gateway's phones).
                var bySms = reference[^2] % 4 == 0;
                s.Store(new Privacy.TravellerProfile
                {
                    Id = id, Party = [new Privacy.PartyMember("Demo", "Traveller", null, "MA", null, null)],
                    Email = $"{reference.ToLowerInvariant()}@demo.marhaba.example", PreferredLanguage = (Language)(reference[^1] % 4), NotifyByEmail = true,
                    Phone = bySms ? $"+2126{(uint)reference.Aggregate(17, (h, c) => h * 31 + c) % 100_000_000:D8}" : null, NotifyBySms = bySms
                });
                s.Store(new Notices.NoticeLedger { Id = id, Told = new Notices.Itinerary(sailing.SailingId, sailing.DepartureAt, sailing.ArrivalAt, null, null, false, false) });
            }
            return (id, reference, adults + children);
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
        // Access codes are kept only as keyed hashes: a demo traveller's code is shown once, when the demo data is made.
        if (string.IsNullOrEmpty(traveller)) lines.Add("  (the demo traveller's code was shown at the first start; ./ops/local-db.sh stop && rm -rf .data starts afresh)");
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
