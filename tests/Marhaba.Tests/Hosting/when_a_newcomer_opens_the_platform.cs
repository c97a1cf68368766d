using System.Text.Json;
using Alba;
using Marhaba.Hosting;
using Npgsql;

namespace Marhaba.Tests.Hosting;

public class when_a_newcomer_opens_the_platform(AppFixture app) : Scenario(app)
{
    [Fact]
    public async Task liveness_and_readiness_answer_without_a_token()
    {
        await Host.Scenario(s => { s.Get.Url("/health/live"); s.StatusCodeShouldBeOk(); });
        var ready = await Host.Scenario(s => { s.Get.Url("/health/ready"); s.StatusCodeShouldBeOk(); });
        using var answer = JsonDocument.Parse(await ready.ReadAsTextAsync());
        answer.RootElement.GetProperty("status").GetString().ShouldBe("Healthy");
        // The embedded cluster is one server: its readiness says what a commit's durability rests on.
        answer.RootElement.GetProperty("checks").GetProperty("writes").GetProperty("reason").GetString()!.ShouldContain("no synchronous replication is configured");
        await Host.Scenario(s => { s.Get.Url("/health/reads"); s.StatusCodeShouldBeOk(); });
    }

    [Fact]
    public async Task the_openapi_document_lists_every_endpoint_and_the_bearer_scheme()
    {
        var result = await Host.Scenario(s => s.Get.Url("/openapi/v1.json"));
        using var doc = JsonDocument.Parse(await result.ReadAsTextAsync());
        var paths = doc.RootElement.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToList();
        paths.ShouldContain("/api/crossings");
        paths.ShouldContain("/api/ports/{port}/arrivals");
        paths.ShouldContain("/api/ports/{port}/arrivals/batch");
        paths.ShouldContain("/api/traveller/status");
        doc.RootElement.GetProperty("components").GetProperty("securitySchemes").TryGetProperty("Bearer", out _).ShouldBeTrue();
    }

    [Fact]
    public async Task the_first_address_leads_travellers_staff_and_developers_to_their_pages()
    {
        var home = System.Net.WebUtility.HtmlDecode(await (await Host.Scenario(s => { s.Get.Url("/"); s.StatusCodeShouldBeOk(); })).ReadAsTextAsync());
        foreach (var link in new[] { "/traveller?lang=ar", "/traveller?lang=fr", "/traveller?lang=it", "/traveller?lang=en", "/signin", "/docs" })
            home.ShouldContain($"href=\"{link}\"");
        home.ShouldContain("تابع عبورك");
    }

    [Fact]
    public async Task the_reference_data_names_ports_by_un_locode()
    {
        var result = await Host.Scenario(s => s.Get.Url("/api/ports"));
        var text = await result.ReadAsTextAsync();
        foreach (var code in new[] { "MAPTM", "MATNG", "MANDR", "MAAHU", "ITGOA", "ITCVV", "FRSET", "ESALG" }) text.ShouldContain(code);
    }

}

/// <summary>The embedded default, on a cluster of its own in a throwaway working tree.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public class when_the_embedded_database_is_started_and_stopped
{
    [Fact]
    public async Task it_is_created_once_reused_while_running_and_started_again_after_a_stop()
    {
        var tree = Directory.CreateTempSubdirectory("marhaba-tree-").FullName;
        File.SetUnixFileMode(tree, (UnixFileMode)0b111_101_101);
        var cluster = EmbeddedPostgres.ForWorkingTree(tree);
        try
        {
            var first = await cluster.EnsureStartedAsync("first") + ";Pooling=false";
            var port = cluster.Port;
            await using (var conn = new NpgsqlConnection(first))
            {
                await conn.OpenAsync();
                await using var cmd = new NpgsqlCommand("create table kept (v int); insert into kept values (42);", conn);
                await cmd.ExecuteNonQueryAsync();
            }

            // Another process asking for it finds it running on the same port.
            var again = EmbeddedPostgres.ForWorkingTree(tree);
            (await again.IsRunningAsync()).ShouldBeTrue();
            await again.EnsureStartedAsync("second");
            again.Port.ShouldBe(port);

            await cluster.StopAsync();
            (await cluster.IsRunningAsync()).ShouldBeFalse();

            var restarted = await EmbeddedPostgres.ForWorkingTree(tree).EnsureStartedAsync("first") + ";Pooling=false";
            await using var check = new NpgsqlConnection(restarted);
            await check.OpenAsync();
            await using var read = new NpgsqlCommand("select v from kept", check);
            (await read.ExecuteScalarAsync()).ShouldBe(42);
            cluster.DataDirectory.ShouldStartWith(tree);
        }
        finally
        {
            await cluster.StopAsync();
            Directory.Delete(tree, recursive: true);
        }
    }

    [Fact]
    public void a_working_tree_the_postgres_user_cannot_reach_keeps_its_cluster_in_a_shared_folder()
    {
        if (Environment.UserName != "root") return; // only root hands the cluster to the postgres user
        var tree = Directory.CreateTempSubdirectory("marhaba-private-").FullName; // mode 700
        try
        {
            EmbeddedPostgres.ForWorkingTree(tree).DataDirectory.ShouldStartWith("/var/tmp/marhaba/");
        }
        finally
        {
            Directory.Delete(tree);
        }
    }
}
