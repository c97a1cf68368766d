using Microsoft.Extensions.Http.Resilience;
using Polly;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace Marhaba.PortAuthorities;

public sealed class PortAuthorityOptions
{
    public const string Section = "PortAuthority";
    /// <summary>Where the authority's system listens; empty: no authority linked (nothing is sent).</summary>
    public string? BaseUrl { get; set; }
    public string AuthorityId { get; set; } = "IT-ADSP-MLO";
    /// <summary>The secret shared with the authority for signed notifications. Only from configuration or environment.</summary>
    public string? Secret { get; set; }
    /// <summary>The secret before the last rotation: still accepted on notifications until the authority has switched; never used to sign.</summary>
    public string? PreviousSecret { get; set; }
    /// <summary>The ports under this authority (UN/LOCODE): Genova, Savona, Civitavecchia by default.</summary>
    public string[] Ports { get; set; } = ["ITGOA", "ITSVN", "ITCVV"];
    public double AttemptTimeoutSeconds { get; set; } = 2;

    public bool Linked => !string.IsNullOrWhiteSpace(BaseUrl);
    public bool Governs(string port) => Ports.Contains(port, StringComparer.OrdinalIgnoreCase);
}

/// <summary>
/// The one HTTP client to the authority, with its resilience pipeline (Polly v8): each attempt
/// times out, failures are retried with exponential backoff and jitter, and a circuit breaker stops
/// hammering an authority that is down. What the pipeline gives up on, Wolverine retries later
/// from the durable outbox and, in the end, keeps in the dead letters.
/// </summary>
public static class PortAuthorityLink
{
    public const string ClientName = "port-authority";

    public static void AddPortAuthorityLink(this IServiceCollection services, PortAuthorityOptions options)
    {
        services.AddSingleton(options);
        var circuit = new CircuitBreakerStateProvider();
        services.AddSingleton(circuit);
        services.AddHttpClient(ClientName, c => c.BaseAddress = options.Linked ? new Uri(options.BaseUrl!) : null)
            .AddResilienceHandler("authority", pipeline =>
            {
                // Network timing runs on the wall clock, whatever business time the host is given.
                pipeline.TimeProvider = TimeProvider.System;
                pipeline.AddTimeout(TimeSpan.FromSeconds(20)); // the whole call, retries included
                pipeline.AddRetry(new HttpRetryStrategyOptions
                {
                    MaxRetryAttempts = 3,
                    BackoffType = DelayBackoffType.Exponential,
                    UseJitter = true,
                    Delay = TimeSpan.FromMilliseconds(200)
                });
                pipeline.AddCircuitBreaker(new HttpCircuitBreakerStrategyOptions
                {
                    FailureRatio = 0.5,
                    MinimumThroughput = 4,
                    SamplingDuration = TimeSpan.FromSeconds(10),
                    BreakDuration = TimeSpan.FromSeconds(5),
                    StateProvider = circuit
                });
                pipeline.AddTimeout(TimeSpan.FromSeconds(options.AttemptTimeoutSeconds)); // each attempt
            });
    }

    /// <summary>The exceptions that mean "the authority is unreachable for now": retry later.</summary>
    public static bool IsTransient(Exception e) =>
        e is HttpRequestException or BrokenCircuitException or TimeoutRejectedException or TaskCanceledException or AuthorityUnavailableException;
}

/// <summary>The authority answered with a server error after the pipeline's retries.</summary>
public sealed class AuthorityUnavailableException(string message) : Exception(message);

/// <summary>The authority refused the message itself (4xx): retrying will not help; it goes to the dead letters.</summary>
public sealed class AuthorityRejectedMessageException(string message) : Exception(message);
