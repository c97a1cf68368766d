using System.Security.Cryptography;
using System.Text;
using Marhaba.Hosting;
using Marten;
using Microsoft.AspNetCore.Mvc;
using Npgsql;

namespace Marhaba.Crossings;

/// <summary>
/// What a traveller's reference (a booking's, or a request's of its own) opens, and the keyed hash of
/// its access code. A document apart from the events, so that erasure and the season's end remove it.
/// </summary>
public class AccessKey
{
    /// <summary>The reference: MRH-… or AST-….</summary>
    public string Id { get; set; } = "";
    /// <summary>The crossing or the assistance request it opens.</summary>
    public Guid OwnerId { get; set; }
    public string CodeHash { get; set; } = "";
    public DateTimeOffset IssuedAt { get; set; }
}

/// <summary>
/// Travellers have no account: a reference and its access code are their key. Codes are kept only as
/// an HMAC-SHA-256 under a key held outside the database (<c>Travellers:AccessCodeKey</c>), so that a
/// copy of the database alone does not reveal them. An unknown reference and a wrong code get the same
/// answer. Each attempt is counted before its code is checked, in one statement, per reference and
/// client: <see cref="MaxAttempts"/> wrong codes from one client lock that client out of that
/// reference for <see cref="Lockout"/>, while the traveller on their own device still gets in.
/// </summary>
public sealed class TravellerAccess(byte[] key, string connectionString) : IAsyncDisposable
{
    public const string Section = "Travellers";
    public const string KeySetting = "Travellers:AccessCodeKey";
    public const int MaxAttempts = 5;
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(15);
    public static readonly TimeSpan Lockout = TimeSpan.FromMinutes(15);
    public const string AttemptsTable = $"{Database.Schema}.access_attempts";

    private readonly NpgsqlDataSource _attempts = NpgsqlDataSource.Create(connectionString);

    public static ProblemDetails NoMatch => Problems.NotFound("No booking or request matches this reference and access code.");

    public static ProblemDetails LockedOut(string reference, DateTimeOffset until)
    {
        var problem = Problems.Make(429, "Too many attempts",
            $"Too many wrong access codes for {reference} from this connection: try again after {until:HH:mm} UTC, or call the Foundation's free line 080 000 23 23.");
        problem.Extensions[LockedUntil] = until;
        return problem;
    }

    /// <summary>The problem's field that says until when a client is locked out.</summary>
    public const string LockedUntil = "lockedUntil";

    /// <summary>Who is asking, for the per-client count: the real client (forwarded by a known proxy; IPv6 by its /64).</summary>
    public static string Client(HttpContext context) => Clients.Of(context);

    public static void AddTo(StoreOptions opts)
    {
        opts.Schema.For<AccessKey>().Index(k => k.IssuedAt);
        var table = new Weasel.Postgresql.Tables.Table(AttemptsTable);
        table.AddColumn<string>("reference").AsPrimaryKey();
        table.AddColumn<string>("client").AsPrimaryKey();
        table.AddColumn<int>("attempts").NotNull();
        table.AddColumn<DateTimeOffset>("first_at").NotNull();
        table.AddColumn<DateTimeOffset>("locked_until");
        opts.Storage.ExtendedSchemaObjects.Add(table);
    }

    /// <summary>A new code's key, to be stored with the booking or request it opens.</summary>
    public AccessKey Issue(string reference, Guid ownerId, string code, DateTimeOffset now) =>
        new() { Id = reference, OwnerId = ownerId, CodeHash = Hash(reference, code), IssuedAt = now };

    /// <summary>The crossing or request that <paramref name="reference"/> and <paramref name="code"/> open, or why not.</summary>
    public async Task<(Guid OwnerId, ProblemDetails? Refused)> OpenAsync(
        IQuerySession session, string? reference, string? code, string client, DateTimeOffset now, CancellationToken ct)
    {
        if (reference is null || code is null || !Codes.IsReference(reference)) return (Guid.Empty, NoMatch);
        reference = Codes.Normalise(reference);
        if (await CountAttemptAsync(reference, client, now, ct) is { } lockedUntil) return (Guid.Empty, LockedOut(reference, lockedUntil));
        var stored = await session.LoadAsync<AccessKey>(reference, ct);
        if (stored is null || !CryptographicOperations.FixedTimeEquals(Convert.FromHexString(stored.CodeHash), Convert.FromHexString(Hash(reference, code))))
            return (Guid.Empty, NoMatch);
        await ForgetAttemptsAsync(reference, client, ct);
        return (stored.OwnerId, null);
    }

    /// <summary>The crossing a booking reference and its code open, or why not.</summary>
    public async Task<(Crossing? Crossing, ProblemDetails? Refused)> OpenCrossingAsync(
        IQuerySession session, string? reference, string? code, HttpContext context, DateTimeOffset now, CancellationToken ct)
    {
        var (owner, refused) = await OpenAsync(session, reference, code, Client(context), now, ct);
        if (refused is not null) return (null, refused);
        return await session.LoadAsync<Crossing>(owner, ct) is { } crossing ? (crossing, null) : (null, NoMatch);
    }

    /// <summary>
    /// Counts one attempt, atomically, before its code is checked: parallel guesses each count, and no
    /// more than <see cref="MaxAttempts"/> are ever checked in a window. Returns when the lock ends, if locked.
    /// </summary>
    private async Task<DateTimeOffset?> CountAttemptAsync(string reference, string client, DateTimeOffset now, CancellationToken ct)
    {
        await using var cmd = _attempts.CreateCommand($"""
            insert into {AttemptsTable} as a (reference, client, attempts, first_at) values ($1, $2, 1, $3)
            on conflict (reference, client) do update set
              attempts = case when a.first_at <= $3 - $4 and coalesce(a.locked_until, '-infinity') <= $3 then 1 else a.attempts + 1 end,
              locked_until = case when a.first_at <= $3 - $4 and coalesce(a.locked_until, '-infinity') <= $3 then null
                                  when a.attempts + 1 = $5 then $3 + $6 else a.locked_until end,
              first_at = case when a.first_at <= $3 - $4 and coalesce(a.locked_until, '-infinity') <= $3 then $3 else a.first_at end
            returning attempts, locked_until
            """);
        cmd.Parameters.Add(new() { Value = reference });
        cmd.Parameters.Add(new() { Value = client });
        cmd.Parameters.Add(new() { Value = now });
        cmd.Parameters.Add(new() { Value = Window });
        cmd.Parameters.Add(new() { Value = MaxAttempts });
        cmd.Parameters.Add(new() { Value = Lockout });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        var attempts = reader.GetInt32(0);
        return attempts > MaxAttempts ? reader.GetFieldValue<DateTimeOffset>(1) : null;
    }

    private async Task ForgetAttemptsAsync(string reference, string client, CancellationToken ct)
    {
        await using var cmd = _attempts.CreateCommand($"delete from {AttemptsTable} where reference = $1 and client = $2");
        cmd.Parameters.Add(new() { Value = reference });
        cmd.Parameters.Add(new() { Value = client });
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Counts that no longer matter: their window and lock ended before <paramref name="before"/>.</summary>
    public async Task<int> PurgeAttemptsAsync(DateTimeOffset before, CancellationToken ct)
    {
        await using var cmd = _attempts.CreateCommand($"delete from {AttemptsTable} where first_at < $1 and coalesce(locked_until, '-infinity') < $1");
        cmd.Parameters.Add(new() { Value = before });
        return await cmd.ExecuteNonQueryAsync(ct);
    }

    private string Hash(string reference, string code) =>
        Convert.ToHexString(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes($"{Codes.Normalise(reference)}:{Codes.Normalise(code).Replace("-", "")}")));

    public ValueTask DisposeAsync() => _attempts.DisposeAsync();
}
