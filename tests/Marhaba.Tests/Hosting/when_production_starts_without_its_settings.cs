using System.Diagnostics;

namespace Marhaba.Tests.Hosting;

/// <summary>Production is not the demo: without its settings the server stops at once, says what to set, and starts nothing local.</summary>
public class when_production_starts_without_its_settings(AppFixture app) : Scenario(app)
{
    private static async Task<(int ExitCode, string Error)> StartAsync(Dictionary<string, string> settings, string environment = "Production")
    {
        var start = new ProcessStartInfo("dotnet", $"\"{Path.Combine(AppContext.BaseDirectory, "Marhaba.dll")}\" --urls http://127.0.0.1:0")
        {
            WorkingDirectory = AppContext.BaseDirectory, RedirectStandardOutput = true, RedirectStandardError = true,
            Environment = { ["ASPNETCORE_ENVIRONMENT"] = environment }
        };
        foreach (var (key, value) in settings) start.Environment[key] = value;
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        await process.StandardOutput.ReadToEndAsync();
        using var patience = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await process.WaitForExitAsync(patience.Token);
        return (process.ExitCode, await error);
    }

    [Fact]
    public async Task each_missing_setting_is_named_and_no_private_database_is_made_or_started()
    {
        var tree = Directory.CreateTempSubdirectory("marhaba-production-");
        try
        {
            var (exit, error) = await StartAsync(new() { ["Database__WorkingTree"] = tree.FullName });
            exit.ShouldBe(2);
            error.ShouldContain("ConnectionStrings__Marhaba");
            error.ShouldContain("Auth__SigningKey");
            error.ShouldContain("Travellers__AccessCodeKey");
            error.ShouldContain("Pages__KeyCertificate");
            error.ShouldNotContain("   at ", Case.Sensitive, "a message, not a stack trace");
            Directory.EnumerateFileSystemEntries(tree.FullName, "*", SearchOption.AllDirectories).ShouldBeEmpty();

            var (exitWithDatabase, onlyKey) = await StartAsync(new()
            {
                ["Database__WorkingTree"] = tree.FullName, ["ConnectionStrings__Marhaba"] = App.ConnectionString, ["Auth__SigningKey"] = App.SigningKey
            });
            exitWithDatabase.ShouldBe(2);
            onlyKey.ShouldContain("Travellers__AccessCodeKey");
            onlyKey.ShouldNotContain("Auth__SigningKey");
        }
        finally
        {
            tree.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task a_development_start_on_a_configured_database_without_its_keys_says_which_in_one_line()
    {
        var (exit, error) = await StartAsync(new() { ["ConnectionStrings__Marhaba"] = App.ConnectionString, ["Auth__SigningKey"] = App.SigningKey }, "Development");
        exit.ShouldBe(2);
        error.Trim().ShouldContain("Travellers__AccessCodeKey");
        error.Trim().Split('\n').ShouldHaveSingleItem();
        error.ShouldNotContain("Auth__SigningKey");

        var (shortKey, tooShort) = await StartAsync(new()
        {
            ["ConnectionStrings__Marhaba"] = App.ConnectionString, ["Auth__SigningKey"] = App.SigningKey, ["Travellers__AccessCodeKey"] = "short"
        }, "Development");
        shortKey.ShouldBe(2);
        tooShort.ShouldContain("Travellers__AccessCodeKey");
    }

    [Fact]
    public async Task demo_data_is_refused_outside_development()
    {
        var (exit, error) = await StartAsync(new()
        {
            ["ConnectionStrings__Marhaba"] = App.ConnectionString, ["Auth__SigningKey"] = App.SigningKey, ["Travellers__AccessCodeKey"] = App.AccessCodeKey,
            ["Pages__KeyCertificate"] = "/nonexistent.pfx", ["Demo__Seed"] = "true"
        });
        exit.ShouldBe(2);
        error.ShouldContain("Demo__Seed");
        error.ShouldNotContain("   at ", Case.Sensitive, "a message, not a stack trace");
    }
}
