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
using Wolverine;

namespace Marhaba.Tests.Hosting;

/// <summary>The run command's demo data, seeded into an empty database of its own.</summary>
public class when_a_newcomer_runs_the_demo(AppFixture app) : Scenario(app)
{
    private const string DemoDatabase = "marhaba_demo_tests";

    [Fact]
    public async Task an_empty_database_is_filled_with_a_week_of_sailings_crossings_and_requests()
    {
        var admin = new NpgsqlConnectionStringBuilder(App.ConnectionString) { Database = "postgres", Pooling = false };
        await using (var conn = new NpgsqlConnection(admin.ConnectionString))
        {
            await conn.OpenAsync();
            await using var drop = new NpgsqlCommand($"drop database if exists {DemoDatabase} with (force)", conn);
            await drop.ExecuteNonQueryAsync();
        }

        var folder = Directory.CreateTempSubdirectory("marhaba-demo-");
        var console = new StringWriter();
        var before = Console.Out;
        Console.SetOut(TextWriter.Synchronized(console));
        await using var demo = await App.StartNodeAsync(("Database:Name", DemoDatabase), ("Demo:Seed", "true"), ("Demo:CredentialsFolder", folder.FullName));
        var store = demo.Services.GetRequiredService<IDocumentStore>();
        var requests = 0;
        for (var attempt = 0; attempt < 240 && requests == 0; attempt++)
        {
            await Task.Delay(250);
            await using var wait = store.QuerySession();
            requests = await wait.Query<AssistanceRequest>().CountAsync();
        }

        await using var session = store.QuerySession();
        (await session.Query<Sailing>().CountAsync()).ShouldBeGreaterThan(100);
        (await session.Query<Crossing>().CountAsync()).ShouldBeGreaterThan(1000);
        (await session.Query<Crossing>().CountAsync(c => c.Status == CrossingStatus.Arrived || c.Status == CrossingStatus.Cleared)).ShouldBeGreaterThan(50);
        requests.ShouldBe(25);
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
}
