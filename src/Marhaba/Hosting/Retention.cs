using Marhaba.Crossings;
using Marten;

namespace Marhaba.Hosting;

/// <summary>
/// Keeps the short-lived records short-lived: stored answers to idempotent requests for
/// <see cref="KeepAnswers"/> (a retry comes within minutes, a device back online within days), and a
/// reference's count of wrong access codes until a day after it stopped mattering. Hourly, on one node.
/// </summary>
public sealed class Retention(IdempotencyLog answers, TravellerAccess access, Assistance.AssistanceLimits walkUps, TimeProvider clock, ILogger<Retention> logger)
    : PeriodicJob("marhaba-retention", TimeSpan.FromHours(1))
{
    public static readonly TimeSpan KeepAnswers = TimeSpan.FromDays(7);
    public static readonly TimeSpan KeepAccessFailures = TimeSpan.FromDays(1);

    public override async Task RunAsync(IDocumentSession session, DateTimeOffset due, DateTimeOffset? previousDue, DateTimeOffset now, Wolverine.OutgoingMessages messages, CancellationToken ct)
    {
        var (purgedAnswers, purgedFailures) = await PurgeAsync(ct);
        if (purgedAnswers + purgedFailures > 0)
            logger.LogInformation("Retention: {Answers} stored answers and {Failures} access-failure counts removed", purgedAnswers, purgedFailures);
    }

    public async Task<(int Answers, int AccessFailures)> PurgeAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var purgedAnswers = await answers.DeleteStartedBeforeAsync(now - KeepAnswers, ct);

        await walkUps.PurgeBeforeAsync(now - KeepAccessFailures, ct);
        return (purgedAnswers, await access.PurgeAttemptsAsync(now - KeepAccessFailures, ct));
    }
}
