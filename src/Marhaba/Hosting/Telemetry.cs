using System.Diagnostics.Metrics;
using Npgsql;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Polly.CircuitBreaker;

namespace Marhaba.Hosting;

/// <summary>
/// What an operator watches on a peak day, as OpenTelemetry metrics: requests, errors and latency per endpoint
/// (ASP.NET Core), handler times, outbox, inbox and scheduled counts and dead letters (Wolverine), connections and
/// commands (Npgsql), the runtime, and Marhaba's own: projection lag and the port authority link's state.
/// Scraped at <c>/metrics</c> (Prometheus) and, with <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> set, pushed with the traces over OTLP.
/// </summary>
public static class Telemetry
{
    public const string MeterName = "Marhaba";
    public const string ScrapePath = "/metrics";
    public static readonly Meter Meter = new(MeterName);

    public static void AddTo(IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton<ProjectionLag>();
        services.AddHostedService(sp => sp.GetRequiredService<ProjectionLag>());
        services.AddSingleton<LinkStateGauge>();
        var otlp = configuration["OTEL_EXPORTER_OTLP_ENDPOINT"] is { Length: > 0 };
        var telemetry = services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("marhaba", serviceInstanceId: $"{Environment.MachineName}:{Environment.ProcessId}"))
            .WithMetrics(m =>
            {
                m.AddAspNetCoreInstrumentation().AddHttpClientInstrumentation().AddRuntimeInstrumentation()
                    .AddMeter("Wolverine:*", "Marten", "Npgsql", MeterName, "Microsoft.AspNetCore.Server.Kestrel")
                    .AddPrometheusExporter();
                if (otlp) m.AddOtlpExporter();
            });
        if (otlp)
            telemetry.WithTracing(t => t.AddSource("Wolverine", "Marten").AddAspNetCoreInstrumentation().AddNpgsql().AddOtlpExporter());
    }

    public const string ScrapeTokenSetting = "Metrics:ScrapeToken";
    public const string PortSetting = "Metrics:Port";

    /// <summary>A management port of its own, when configured: the server listens on it besides its own addresses.</summary>
    public static void ListenOnManagementPort(IWebHostBuilder host, IConfiguration configuration)
    {
        if (configuration.GetValue<int?>(PortSetting) is not { } port) return;
        var urls = host.GetSetting(WebHostDefaults.ServerUrlsKey) is { Length: > 0 } set ? set : "http://localhost:5000";
        host.UseSetting(WebHostDefaults.ServerUrlsKey, $"{urls};http://*:{port}");
    }

    /// <summary>
    /// Starts the gauges read on demand (the link's state) and maps the scrape endpoint. The figures say how busy each
    /// port and line is and how the platform fails: served only to a scraper that shows <c>Metrics:ScrapeToken</c> as its
    /// bearer token, or only on the management port <c>Metrics:Port</c> (both may be set); with neither, not at all.
    /// </summary>
    public static void MapTo(WebApplication app)
    {
        app.Services.GetRequiredService<LinkStateGauge>();
        var token = app.Configuration[ScrapeTokenSetting];
        var port = app.Configuration.GetValue<int?>(PortSetting);
        if (string.IsNullOrWhiteSpace(token) && port is null)
        {
            app.Logger.Log(app.Environment.IsDevelopment() ? LogLevel.Information : LogLevel.Warning,
                "Metrics are not served: set {Token} (the scraper's bearer token) or {Port} (a management port).",
                ScrapeTokenSetting.Replace(":", "__"), PortSetting.Replace(":", "__"));
            return;
        }
        var expected = string.IsNullOrWhiteSpace(token) ? null : System.Text.Encoding.UTF8.GetBytes("Bearer " + token);
        var scrape = app.MapPrometheusScrapingEndpoint(ScrapePath, meterProvider: null, configureBranchedPipeline: branch => branch.Use(async (context, next) =>
        {
            if (expected is null || System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(
                    System.Text.Encoding.UTF8.GetBytes(context.Request.Headers.Authorization.ToString()), expected))
                await next(context);
            else
                await Results.Problem(Problems.Make(401, "Unauthorized", $"The metrics are for the scraper that holds {ScrapeTokenSetting.Replace(":", "__")}.")).ExecuteAsync(context);
        }), optionsName: null).AllowAnonymous();
        if (port is not null) scrape.RequireHost($"*:{port}");
    }
}

/// <summary>
/// How many events each asynchronous projection still has to apply (the event store's high-water mark less the
/// projection's progress), read every 10 seconds; every node reports the same store-wide figure. The mark is
/// the event sequence's last value: one row, not a count of a season's events.
/// </summary>
public sealed class ProjectionLag(Marten.IDocumentStore store, NpgsqlDataSource database, ILogger<ProjectionLag> logger) : BackgroundService
{
    private volatile IReadOnlyList<Measurement<long>> _lag = [];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        Telemetry.Meter.CreateObservableGauge("marhaba.projection.lag", () => _lag, unit: "{event}",
            description: "Events appended but not yet applied, per asynchronous projection");
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(10));
        do
        {
            try
            {
                long mark;
                await using (var cmd = database.CreateCommand($"select last_value from {Database.Schema}.mt_events_sequence"))
                    mark = (long)(await cmd.ExecuteScalarAsync(stoppingToken))!;
                var progress = await store.Advanced.AllProjectionProgress(token: stoppingToken);
                _lag = progress.Where(p => p.ShardName != "HighWaterMark")
                    .Select(p => new Measurement<long>(Math.Max(0, mark - p.Sequence), new KeyValuePair<string, object?>("projection", p.ShardName)))
                    .ToList();
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException)
            {
                logger.LogWarning("Projection lag not read: {Reason}", e.Message);
            }
        } while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}

/// <summary>The port authority link's circuit as a number: 0 closed (working), 1 half open (trying), 2 open (cut off), 3 isolated.</summary>
public sealed class LinkStateGauge
{
    public LinkStateGauge(CircuitBreakerStateProvider circuit) =>
        Telemetry.Meter.CreateObservableGauge("marhaba.port_authority.circuit", () => circuit.CircuitState switch
        {
            CircuitState.Closed => 0, CircuitState.HalfOpen => 1, CircuitState.Open => 2, _ => 3
        }, description: "The port authority link's circuit breaker: 0 closed, 1 half open, 2 open, 3 isolated");
}
