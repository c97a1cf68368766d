using Marhaba.Hosting;
using Alba;
using Marhaba.Assistance;
using Marhaba.Crossings;
using Marhaba.Planning;
using Marhaba.Sailings;
using Marten;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using System.Net.Http.Json;
using Wolverine;

namespace Marhaba.Tests.Hosting;

/// <summary>The run command's demo data, seeded into an empty database of its own.</summary>
public class when_a_newcomer_runs_the_demo(AppFixture app) : Scenario(app)
{
    private const string DemoDatabase = "marhaba_demo_tests";

    [Fact]
    public async Task an_empty_database_is_filled_with_a_week_of_sailings_crossings_and_requests()
    {
        await DropDemoDatabaseAsync();
        // Ten past midnight at Tanger Med: yesterday's ships are in, tonight's board, today's are still to come.
        App.Clock.SetUtcNow(new DateTimeOffset(DateTime.UtcNow.Date, TimeSpan.Zero).AddMinutes(-50));
        var folder = Directory.CreateTempSubdirectory("marhaba-demo-");
        var console = new StringWriter();
        var before = Console.Out;
        Console.SetOut(TextWriter.Synchronized(console));
        await using var demo = await StartDemoAsync(folder);
        var store = demo.Services.GetRequiredService<IDocumentStore>();
        await TangerMedShowsADisruptedDayAsync(demo);

        await using var session = store.QuerySession();
        (await session.Query<Sailing>().CountAsync()).ShouldBeGreaterThan(200);
        (await session.Query<Crossing>().CountAsync()).ShouldBeGreaterThan(1000);
        (await session.Query<Crossing>().CountAsync(c => c.Status == CrossingStatus.Arrived || c.Status == CrossingStatus.Cleared)).ShouldBeGreaterThan(50);
        (await session.Query<AssistanceRequest>().CountAsync()).ShouldBe(25);
        (await session.Query<PortDay>().CountAsync()).ShouldBe(1);

        // The demo's staff accounts, one per demo user, sign in with the passwords of a file only its owner reads; the banner
        // says where it is and prints no password.
        for (var attempt = 0; attempt < 40 && !console.ToString().Contains("Marhaba is running"); attempt++) await Task.Delay(250);
        Console.SetOut(before);
        (await session.Query<Marhaba.Staff.StaffAccount>().CountAsync()).ShouldBe(TokenIssuer.DemoUsers.Count());
        var file = Path.Combine(folder.FullName, "demo-accounts.txt");
        console.ToString().ShouldContain(file);
        if (!OperatingSystem.IsWindows()) File.GetUnixFileMode(file).ShouldBe(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var passwords = File.ReadAllLines(file).Where(l => !l.StartsWith('#'))
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToDictionary(p => p[0], p => p[1]);
        passwords.Keys.ShouldBe(TokenIssuer.DemoUsers.Select(u => u.Subject), ignoreOrder: true);
        foreach (var password in passwords.Values) console.ToString().ShouldNotContain(password);
        var signIn = demo.Services.GetRequiredService<Marhaba.Staff.StaffSignIn>();
        (await signIn.CheckAsync("admin", passwords["admin"], DateTimeOffset.UtcNow, CancellationToken.None)).ShouldNotBeNull();
        (await signIn.CheckAsync("admin", "not-the-password", DateTimeOffset.UtcNow, CancellationToken.None)).ShouldBeNull();
        folder.Delete(recursive: true);
    }

    [Fact]
    public async Task a_demo_started_again_days_later_lives_in_its_new_today()
    {
        await DropDemoDatabaseAsync();
        var folder = Directory.CreateTempSubdirectory("marhaba-demo-");
        var first = new DateTimeOffset(DateTime.UtcNow.Date, TimeSpan.Zero).AddHours(9);
        App.Clock.SetUtcNow(first);
        await using (var demo = await StartDemoAsync(folder))
            await TangerMedShowsADisruptedDayAsync(demo);

        // Two and a half days later, in the evening: the days in between are written and lived, none of their ships is left waiting.
        App.Clock.SetUtcNow(first.AddDays(2).AddHours(10.5));
        await using (var demo = await StartDemoAsync(folder))
        {
            await TangerMedShowsADisruptedDayAsync(demo);
            var store = demo.Services.GetRequiredService<IDocumentStore>();
            var now = App.Clock.GetUtcNow();
            // A ship that has left settles who was aboard in a message of its own, after the departure: both are waited for.
            List<Sailing> behind = [];
            var unsettled = 0;
            for (var attempt = 0; attempt < 240; attempt++)
            {
                await using var query = store.QuerySession();
                behind = [.. await query.Query<Sailing>().Where(s => s.ArrivalAt < now.AddHours(-1) && s.Status != SailingStatus.Arrived && s.Status != SailingStatus.Cancelled).ToListAsync()];
                unsettled = await query.Query<Crossing>().CountAsync(c => c.DepartureAt < now.AddHours(-1) && (c.Status == CrossingStatus.Booked || c.Status == CrossingStatus.CheckedIn) && !c.LeftWithoutSailing);
                if (behind.Count == 0 && unsettled == 0) break;
                await Task.Delay(250);
            }
            behind.Select(s => $"{s.RouteCode} {s.Direction} {s.DepartureAt:u} {s.Status}").ShouldBeEmpty();
            unsettled.ShouldBe(0);
            await using var session = store.QuerySession();
            (await session.Query<Marhaba.Demo.DemoDay>().CountAsync()).ShouldBe(9);
            (await session.Query<PortDay>().CountAsync()).ShouldBe(2);
        }
        folder.Delete(recursive: true);
    }

    private async Task DropDemoDatabaseAsync()
    {
        var admin = new NpgsqlConnectionStringBuilder(App.ConnectionString) { Database = "postgres", Pooling = false };
        await using var conn = new NpgsqlConnection(admin.ConnectionString);
        await conn.OpenAsync();
        await using var drop = new NpgsqlCommand($"drop database if exists {DemoDatabase} with (force)", conn);
        await drop.ExecuteNonQueryAsync();
    }

    private Task<IAlbaHost> StartDemoAsync(DirectoryInfo folder) =>
        App.StartNodeAsync(("Database:Name", DemoDatabase), ("Demo:Seed", "true"), ("Demo:CredentialsFolder", folder.FullName), ("Demo:RollSeconds", "1"));

    /// <summary>
    /// What the Tanger Med quay desk lists once the demo has caught up with the clock: ships arrived, one boarding, ships
    /// scheduled, one delayed (with its time as first scheduled) and one cancelled.
    /// </summary>
    private async Task TangerMedShowsADisruptedDayAsync(IAlbaHost demo)
    {
        var client = demo.Server.CreateClient();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", PortStaff("MAPTM"));
        SailingStatus[] expected = [SailingStatus.Arrived, SailingStatus.Boarding, SailingStatus.Scheduled, SailingStatus.Delayed, SailingStatus.Cancelled];
        HashSet<SailingStatus> shown = [];
        for (var attempt = 0; attempt < 600 && !shown.IsSupersetOf(expected); attempt++)
        {
            await Task.Delay(250);
            var sailings = await client.GetFromJsonAsync<List<DeskSailing>>("/api/ports/MAPTM/desk/sailings", Json.Options);
            shown = sailings!.Select(s => s.Status).ToHashSet();
        }
        expected.Except(shown).ShouldBeEmpty();
    }
}
