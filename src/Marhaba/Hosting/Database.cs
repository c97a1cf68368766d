using Marhaba.Assistance;
using Marhaba.Crossings;
using Marhaba.Notices;
using Marhaba.Planning;
using Marhaba.Sailings;
using Marten;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;
using Weasel.Core;

namespace Marhaba.Hosting;

public static class Database
{
    public const string ConnectionName = "Marhaba";
    public const string Schema = "marhaba";

    /// <summary>
    /// Outside Development the server runs only on what it is given; in Development on a configured database, with
    /// the keys it is given (generated keys live beside the private cluster only). What is missing, said in one
    /// message (null when nothing is), so that start-up stops before anything local is started or installed.
    /// </summary>
    public static string? MissingSettings(IConfiguration configuration, IHostEnvironment environment, string[] args)
    {
        if (args.FirstOrDefault() == "local-db") return null;
        var development = environment.IsDevelopment();
        // Demo accounts have passwords derived from the signing key: never on a real server.
        if (!development && configuration.GetValue("Demo:Seed", false))
            return $"Marhaba does not seed demo data in {environment.EnvironmentName}: unset Demo__Seed (demo data and accounts are for Development only).";
        if (development && string.IsNullOrWhiteSpace(configuration.GetConnectionString(ConnectionName))) return null;
        string[] keys = ["Auth:SigningKey", TravellerAccess.KeySetting];
        var missing = (development ? keys : [$"ConnectionStrings:{ConnectionName}", .. keys, Staff.PageKeyRepository.CertificateSetting])
            .Where(setting => string.IsNullOrWhiteSpace(configuration[setting]) ||
                              keys.Contains(setting) && System.Text.Encoding.UTF8.GetByteCount(configuration[setting]!) < 32).ToList();
        if (missing.Count == 0) return null;
        var names = string.Join(", ", missing.Select(s => s.Replace(":", "__")));
        return development
            ? $"Marhaba does not start on the configured database without its keys: set {names} (environment variables, at least 32 characters), or leave ConnectionStrings__Marhaba unset for the private PostgreSQL cluster and its generated keys."
            : $"Marhaba does not start in {environment.EnvironmentName}: set {names} " +
              "(environment variables; the keys at least 32 characters; the certificate a PFX file that encrypts the pages' keys). The private PostgreSQL cluster and generated keys are for Development only (ops/run.sh).";
    }

    /// <summary>
    /// A statement of the platform's own tables (counts, kept answers) run once more when the connection it was given
    /// had been closed by the database (a restart, a failover): the pool hands out a connection that died while idle,
    /// and the first statement on it fails before reaching the server. Marten retries its own reads the same way. Each
    /// statement given here is safe to run twice (a read, an insert that ignores a conflict, a count).
    /// </summary>
    public static async Task<T> OnceMoreIfClosedAsync<T>(Npgsql.NpgsqlDataSource source, Func<Task<T>> statement)
    {
        try
        {
            return await statement();
        }
        catch (Npgsql.NpgsqlException e) when (ClosedUnderneath(e))
        {
            // Every connection left idle in the pool died with it: open new ones.
            source.Clear();
            return await statement();
        }
    }

    public static Task OnceMoreIfClosedAsync(Npgsql.NpgsqlDataSource source, Func<Task> statement) =>
        OnceMoreIfClosedAsync(source, async () => { await statement(); return true; });

    private static bool ClosedUnderneath(Npgsql.NpgsqlException e) =>
        e is Npgsql.PostgresException { SqlState: "57P01" or "57P02" } || e is not Npgsql.PostgresException && e.InnerException is IOException or System.Net.Sockets.SocketException or EndOfStreamException;

    /// <summary>
    /// The configured connection string, or the embedded cluster's, started on demand.
    /// <c>Database:Name</c> chooses the database inside the embedded cluster (tests use their own).
    /// </summary>
    public static async Task<(string ConnectionString, EmbeddedPostgres? Embedded)> ResolveAsync(IConfiguration configuration, bool startEmbedded = true)
    {
        if (configuration.GetConnectionString(ConnectionName) is { Length: > 0 } configured) return (configured, null);
        var embedded = EmbeddedPostgres.ForWorkingTree(configuration["Database:WorkingTree"]);
        var database = configuration["Database:Name"] ?? "marhaba";
        var connectionString = startEmbedded ? await embedded.EnsureStartedAsync(database) : embedded.ConnectionString(database);
        return (connectionString, embedded);
    }

    /// <summary>The pool every part of the server draws its connections from (<see cref="Tuned"/>).</summary>
    public static NpgsqlDataSource DataSource(string connectionString) => NpgsqlDataSource.Create(Tuned(connectionString));

    /// <summary>A store of its own on <paramref name="connectionString"/> (the simulator's tools).</summary>
    public static void ConfigureMarten(StoreOptions opts, string connectionString)
    {
        opts.Connection(Tuned(connectionString));
        ConfigureMarten(opts);
    }

    /// <summary>The event store and documents; each feature registers its own streams and projections.</summary>
    public static void ConfigureMarten(StoreOptions opts)
    {
        opts.DatabaseSchemaName = Schema;
        // The command path reads its aggregate once: FetchForWriting's copy feeds the inline snapshot.
        opts.Events.UseIdentityMapForAggregates = true;
        opts.UseSystemTextJsonForSerialization(EnumStorage.AsString);
        StoredEvents.AddTo(opts);
        IdempotencyLog.AddTo(opts);
        RecurringJobHandler.AddTo(opts);
        TravellerAccess.AddTo(opts);
        Assistance.AssistanceLimits.AddTo(opts);
        opts.Schema.For<PortAuthorities.ReceivedNotification>();
        opts.AddSailings();
        opts.AddCrossings();
        opts.AddPlanning();
        opts.AddAssistance();
        opts.AddNotices();
        opts.Schema.For<Privacy.TravellerProfile>();
        opts.Schema.For<Staff.StaffAccount>();
        opts.Schema.For<Staff.PageKey>();
        opts.Schema.For<Privacy.ProfileRead>().Index(r => r.CrossingId);
    }

    /// <summary>
    /// The same few statements run thousands of times a minute: prepared once per connection, PostgreSQL
    /// skips parsing and planning them. A pooled connection is not reset on its way back to the pool
    /// (the platform sets no session state; the reset cost PostgreSQL a multi-statement query on every
    /// reuse). The connection string may say otherwise.
    /// </summary>
    public static string Tuned(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (!connectionString.Contains("Auto Prepare", StringComparison.OrdinalIgnoreCase)) builder.MaxAutoPrepare = 64;
        if (!connectionString.Contains("Reset On Close", StringComparison.OrdinalIgnoreCase)) builder.NoResetOnClose = true;
        return builder.ConnectionString;
    }
}

/// <summary>A health answer that says why: each check's status and reason, as JSON.</summary>
public static class HealthAnswer
{
    public static Task WriteAsync(HttpContext context, HealthReport report) =>
        context.Response.WriteAsJsonAsync(new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(e => e.Key, e => new { status = e.Value.Status.ToString(), reason = e.Value.Description })
        });
}

/// <summary>Reads: the database answers a query within two seconds.</summary>
public sealed class DatabaseHealthCheck(IDocumentStore store) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(2));
            await using var session = store.QuerySession();
            await using var cmd = new NpgsqlCommand("select 1", (NpgsqlConnection)session.Connection!);
            await session.Connection!.OpenIfClosedAsync(timeout.Token);
            await cmd.ExecuteScalarAsync(timeout.Token);
            return HealthCheckResult.Healthy("PostgreSQL answers.");
        }
        catch (Exception e)
        {
            return HealthCheckResult.Unhealthy("PostgreSQL does not answer.", e);
        }
    }
}

internal static class ConnectionExtensions
{
    public static async Task OpenIfClosedAsync(this System.Data.Common.DbConnection connection, CancellationToken ct)
    {
        if (connection.State != System.Data.ConnectionState.Open) await connection.OpenAsync(ct);
    }
}
