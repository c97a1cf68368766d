using Marhaba.Crossings;
using Marten;

namespace Marhaba.Hosting;

/// <summary>
/// Keeps the short-lived records short-lived: stored answers to idempotent requests for
/// <see cref="KeepAnswers"/> (a retry comes within minutes, a device back online within days), and a
/// reference's count of wrong access codes until a day after it stopped mattering. Hourly.
/// </summary>
public sealed class Retention(IdempotencyLog answers, TravellerAccess access, Assistance.WalkUpLimit walkUps, TimeProvider clock, ILogger<Retention> logger) : BackgroundService
{
    public static readonly TimeSpan KeepAnswers = TimeSpan.FromDays(7);
    public static readonly TimeSpan KeepAccessFailures = TimeSpan.FromDays(1);

    protected override async Task ExecuteAsync(CancellationToken stop)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromHours(1));
        do
        {
            try
            {
                var (purgedAnswers, purgedFailures) = await PurgeAsync(stop);
                if (purgedAnswers + purgedFailures > 0)
                    logger.LogInformation("Retention: {Answers} stored answers and {Failures} access-failure counts removed", purgedAnswers, purgedFailures);
            }
            catch (Exception e) when (e is Npgsql.NpgsqlException or TimeoutException)
            {
                logger.LogWarning(e, "Retention: the database did not answer; next hour");
            }
        } while (await timer.WaitForNextTickAsync(stop));
    }

    public async Task<(int Answers, int AccessFailures)> PurgeAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var purgedAnswers = await answers.DeleteStartedBeforeAsync(now - KeepAnswers, ct);

        await walkUps.PurgeBeforeAsync(now - KeepAccessFailures, ct);
        return (purgedAnswers, await access.PurgeAttemptsAsync(now - KeepAccessFailures, ct));
    }
}
