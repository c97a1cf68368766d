extern alias standin;
using System.Net.Http.Json;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using StandIn = standin::Marhaba.PortAuthority;

namespace Marhaba.Tests;

/// <summary>
/// The stand-in authority program, started on 127.0.0.1 with a port of its own. Its notifications
/// reach the platform under test through the test server's handler.
/// </summary>
public sealed class StandInAuthorityServer : IAsyncDisposable
{
    public const string AuthorityId = "IT-ADSP-MLO";
    public string Secret { get; } = Convert.ToHexString(RandomNumberGenerator.GetBytes(32));
    public string Url { get; private set; } = "";
    public HttpClient Client { get; private set; } = null!;
    private WebApplication? _app;

    public async Task StartAsync(Func<HttpMessageHandler> platform)
    {
        _app = StandIn.StandInAuthority.Build(["--urls", "http://127.0.0.1:0"], builder =>
        {
            builder.Configuration["Authority:Secret"] = Secret;
            builder.Configuration["Authority:Id"] = AuthorityId;
            builder.Configuration["Marhaba:BaseUrl"] = "http://marhaba.test";
            builder.Logging.ClearProviders();
            builder.Services.AddHttpClient("marhaba").ConfigurePrimaryHttpMessageHandler(() => new ToPlatform(platform));
        });
        await _app.StartAsync();
        Url = _app.Urls.First();
        Client = new HttpClient { BaseAddress = new Uri(Url) };
    }

    public async Task ResetAsync()
    {
        await Client.DeleteAsync("/faults");
        await Client.DeleteAsync("/received");
    }

    public async Task<StandIn.InboxStats> StatsAsync() => (await Client.GetFromJsonAsync<StandIn.InboxStats>("/received/stats"))!;

    public async Task<List<StandIn.ReceivedMessage>> ReceivedAsync(string kind) =>
        (await Client.GetFromJsonAsync<List<StandIn.ReceivedMessage>>($"/received?kind={kind}"))!;

    public Task FaultsAsync(int latencyMs = 0, double errorRate = 0, int outageSeconds = 0, int hangMs = 0) =>
        Client.PostAsJsonAsync("/faults", new StandIn.FaultSettings(latencyMs, errorRate, outageSeconds, hangMs));

    public async ValueTask DisposeAsync()
    {
        if (_app is not null) await _app.DisposeAsync();
        Client?.Dispose();
    }
}

/// <summary>Sends to the platform's test server, known only once it has started.</summary>
public sealed class ToPlatform(Func<HttpMessageHandler> platform) : HttpMessageHandler
{
    private HttpMessageInvoker? _invoker;

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct) =>
        (_invoker ??= new HttpMessageInvoker(platform())).SendAsync(request, ct);
}
