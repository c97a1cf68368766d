extern alias smsgateway;
using System.Net.Http.Json;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using StandIn = smsgateway::Marhaba.SmsGateway;

namespace Marhaba.Tests;

/// <summary>
/// The stand-in SMS gateway program, started on 127.0.0.1 with a port of its own: what it took is what the phones
/// received. Its delivery receipts reach the platform under test through the test server's handler.
/// </summary>
public sealed class StandInSmsGatewayServer : IAsyncDisposable
{
    public const string ReceiptsUrl = "http://marhaba.test" + Marhaba.Notices.SmsReceiptEndpoint.Path;
    public string ApiKey { get; } = Convert.ToHexString(RandomNumberGenerator.GetBytes(24));
    public string Url { get; private set; } = "";
    private HttpClient _client = null!;
    private WebApplication? _app;

    public async Task StartAsync(Func<HttpMessageHandler> platform)
    {
        _app = StandIn.StandInSmsGateway.Build(["--urls", "http://127.0.0.1:0"], builder =>
        {
            builder.Configuration["Gateway:ApiKey"] = ApiKey;
            builder.Configuration["Gateway:ReceiptDelayMs"] = "100";
            builder.Logging.ClearProviders();
            builder.Services.AddHttpClient("receipts").ConfigurePrimaryHttpMessageHandler(() => new ToPlatform(platform));
        });
        await _app.StartAsync();
        Url = _app.Urls.First();
        _client = new HttpClient { BaseAddress = new Uri(Url) };
    }

    public async Task ResetAsync()
    {
        await _client.DeleteAsync("/faults");
        await _client.DeleteAsync("/v1/messages");
    }

    public async Task<List<StandIn.ReceivedSms>> MessagesToAsync(string phone) =>
        (await _client.GetFromJsonAsync<List<StandIn.ReceivedSms>>($"/v1/messages?to={Uri.EscapeDataString(phone)}"))!;

    public async Task<StandIn.GatewayStats> StatsAsync() => (await _client.GetFromJsonAsync<StandIn.GatewayStats>("/stats"))!;

    public async Task FaultsAsync(StandIn.GatewayFaultSettings faults) => (await _client.PostAsJsonAsync("/faults", faults)).EnsureSuccessStatusCode();

    public async ValueTask DisposeAsync()
    {
        if (_app is not null) await _app.DisposeAsync();
        _client?.Dispose();
    }
}
