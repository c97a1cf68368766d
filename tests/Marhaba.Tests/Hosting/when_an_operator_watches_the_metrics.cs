using Alba;
using Marhaba.Crossings;

namespace Marhaba.Tests.Hosting;

/// <summary>The figures an operator watches on a peak day, scraped as Prometheus reads them.</summary>
public class when_an_operator_watches_the_metrics(AppFixture app) : Scenario(app)
{
    [Fact]
    public async Task requests_per_endpoint_database_commands_messages_projection_lag_and_the_authority_link_are_exposed()
    {
        // A node of its own: a host of this test process that stopped earlier took its same-named ASP.NET Core meters
        // with it from every host's exporter (one server process has one host, so production never meets this).
        await using var node = await App.StartNodeAsync();
        var (booking, _) = await BookedAndSailed();
        await node.Scenario(s =>
        {
            s.WithBearerToken(Token(Marhaba.Hosting.Roles.PortStaff, "MAPTM"));
            s.Post.Json(new CrossingAtPort(booking.BookingReference, null, null, null)).ToUrl("/api/ports/MAPTM/arrivals");
            s.StatusCodeShouldBe(200);
        });
        await node.Scenario(s => { s.Get.Url("/api/crossings/" + Guid.NewGuid()); s.WithBearerToken(Token(Marhaba.Hosting.Roles.Agent)); s.StatusCodeShouldBe(404); });

        // Each node reports what it runs (an asynchronous projection's gap on the node that runs it): read both, as Prometheus does.
        async Task<string> Scrape(IAlbaHost host) =>
            await (await host.Scenario(s => { s.Get.Url("/metrics"); s.WithBearerToken(App.ScrapeToken); })).ReadAsTextAsync();
        string text = "";
        for (var attempt = 0; attempt < 40 && !(text.Contains("marhaba_projection_lag") && text.Contains("http_server_request_duration") && text.Contains("marten_crossingviews_all_gap")); attempt++)
        {
            if (attempt > 0) await Task.Delay(500);
            text = await Scrape(node) + await Scrape(Host);
        }

        // Requests and errors per endpoint: the route template, never an id or a reference.
        text.ShouldContain("http_route=\"/api/ports/{port}/arrivals\"");
        text.ShouldContain("http_response_status_code=\"404\"");
        text.ShouldNotContain(booking.BookingReference);
        text.ShouldContain("marhaba_projection_lag{");
        text.ShouldContain("projection=\"");
        text.ShouldContain("marhaba_port_authority_circuit");
        text.ShouldContain("wolverine_outbox_count");
        text.ShouldContain("marten_crossingviews_all_gap");
        text.ShouldContain("db_client_");
    }

    [Fact]
    public async Task the_figures_are_only_for_the_scraper_holding_its_token()
    {
        await Host.Scenario(s => { s.Get.Url("/metrics"); s.StatusCodeShouldBe(401); });
        await Host.Scenario(s => { s.Get.Url("/metrics"); s.WithBearerToken("not-the-scrapers-token"); s.StatusCodeShouldBe(401); });
        // A staff member's token is not the scraper's.
        await Host.Scenario(s => { s.Get.Url("/metrics"); s.WithBearerToken(Token(Marhaba.Hosting.Roles.Admin)); s.StatusCodeShouldBe(401); });
        var text = await (await Host.Scenario(s => { s.Get.Url("/metrics"); s.WithBearerToken(App.ScrapeToken); s.StatusCodeShouldBe(200); })).ReadAsTextAsync();
        text.ShouldContain("# TYPE");
    }
}
