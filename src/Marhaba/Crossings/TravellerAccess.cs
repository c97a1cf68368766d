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
/// reference for <see cref="Lockout"/>, twice as long at each lockout after that (up to a day), while the
/// traveller on their own device still gets in. Across all clients a reference takes
/// <c>Travellers:WrongCodesPerBookingPerDay</c> wrong codes a day; past that, a client that has already
/// been wrong about it is not heard again that day, and only a client's first code is checked: the
/// traveller, who has no wrong code of their own, still gets in.
/// </summary>
public sealed class TravellerAccess(byte[] key, NpgsqlDataSource database, int wrongCodesPerBookingPerDay)
{
    public const string Section = "Travellers";
    public const string KeySetting = "Travellers:AccessCodeKey";
    public const int MaxAttempts = 5;
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(15);
    public static readonly TimeSpan Lockout = TimeSpan.FromMinutes(15);
    public static readonly TimeSpan LongestLockout = TimeSpan.FromDays(1);
    /// <summary>The window of a reference's wrong codes from all clients.</summary>
    public static readonly TimeSpan BookingWindow = TimeSpan.FromDays(1);
    public const string AttemptsTable = $"{Database.Schema}.accessdatabase";
    public const string WrongCodesTable = $"{Database.Schema}.access_wrong_codes";

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
        // Lockouts so far: each one lasts twice as long as the one before.
        table.AddColumn("lockouts", "integer").NotNull().DefaultValueByExpression("0");
        opts.Storage.ExtendedSchemaObjects.Add(table);
        var wrong = new Weasel.Postgresql.Tables.Table(WrongCodesTable);
        wrong.AddColumn<string>("reference").AsPrimaryKey();
        wrong.AddColumn<DateTimeOffset>("window_start").AsPrimaryKey();
        wrong.AddColumn<int>("wrong").NotNull();
        opts.Storage.ExtendedSchemaObjects.Add(wrong);
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
        var (attempt, lockedUntil) = await Database.OnceMoreIfClosedAsync(database, () => CountAttemptAsync(reference, client, now, ct));
        if (lockedUntil is not null) return (Guid.Empty, LockedOut(reference, lockedUntil.Value));
        var window = new DateTimeOffset(now.UtcTicks - now.UtcTicks % BookingWindow.Ticks, TimeSpan.Zero);
        // Past the reference's wrong codes for the day, only a client's first code is heard.
        if (attempt > 1 && await Database.OnceMoreIfClosedAsync(database, () => WrongCodesAsync(reference, window, ct)) >= wrongCodesPerBookingPerDay)
            return (Guid.Empty, LockedOut(reference, window + BookingWindow));
        var stored = await session.LoadAsync<AccessKey>(reference, ct);
        if (stored is null || !CryptographicOperations.FixedTimeEquals(Convert.FromHexString(stored.CodeHash), Convert.FromHexString(Hash(reference, code))))
        {
            await Database.OnceMoreIfClosedAsync(database, () => CountWrongCodeAsync(reference, window, ct));
            return (Guid.Empty, NoMatch);
        }
        await Database.OnceMoreIfClosedAsync(database, () => ForgetAttemptsAsync(reference, client, ct));
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
    /// more than <see cref="MaxAttempts"/> are ever checked in a window. Returns the attempt's number in its
    /// window, and when the lock ends, if locked. Each lockout lasts twice the one before, up to a day.
    /// </summary>
    private async Task<(int Attempt, DateTimeOffset? LockedUntil)> CountAttemptAsync(string reference, string client, DateTimeOffset now, CancellationToken ct)
    {
        await using var cmd = database.CreateCommand($"""
            insert into {AttemptsTable} as a (reference, client, attempts, first_at, lockouts) values ($1, $2, 1, $3, 0)
            on conflict (reference, client) do update set
              attempts = case when a.first_at <= $3 - $4 and coalesce(a.locked_until, '-infinity') <= $3 then 1 else a.attempts + 1 end,
              locked_until = case when a.first_at <= $3 - $4 and coalesce(a.locked_until, '-infinity') <= $3 then null
                                  when a.attempts + 1 = $5 then $3 + least($6 * power(2, a.lockouts), $7) else a.locked_until end,
              lockouts = case when a.first_at <= $3 - $4 and coalesce(a.locked_until, '-infinity') <= $3 then a.lockouts
                              when a.attempts + 1 = $5 then a.lockouts + 1 else a.lockouts end,
              first_at = case when a.first_at <= $3 - $4 and coalesce(a.locked_until, '-infinity') <= $3 then $3 else a.first_at end
            returning attempts, locked_until
            """);
        cmd.Parameters.Add(new() { Value = reference });
        cmd.Parameters.Add(new() { Value = client });
        cmd.Parameters.Add(new() { Value = now });
        cmd.Parameters.Add(new() { Value = Window });
        cmd.Parameters.Add(new() { Value = MaxAttempts });
        cmd.Parameters.Add(new() { Value = Lockout });
        cmd.Parameters.Add(new() { Value = LongestLockout });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        var attempts = reader.GetInt32(0);
        return (attempts, attempts > MaxAttempts ? reader.GetFieldValue<DateTimeOffset>(1) : null);
    }

    private async Task<int> WrongCodesAsync(string reference, DateTimeOffset window, CancellationToken ct)
    {
        await using var cmd = database.CreateCommand($"select coalesce(max(wrong), 0) from {WrongCodesTable} where reference = $1 and window_start = $2");
        cmd.Parameters.Add(new() { Value = reference });
        cmd.Parameters.Add(new() { Value = window });
        return (int)(await cmd.ExecuteScalarAsync(ct))!;
    }

    private async Task CountWrongCodeAsync(string reference, DateTimeOffset window, CancellationToken ct)
    {
        await using var cmd = database.CreateCommand($"""
            insert into {WrongCodesTable} as w (reference, window_start, wrong) values ($1, $2, 1)
            on conflict (reference, window_start) do update set wrong = w.wrong + 1
            """);
        cmd.Parameters.Add(new() { Value = reference });
        cmd.Parameters.Add(new() { Value = window });
        await cmd.ExecuteNonQueryAsync(ct);
    }

    private async Task ForgetAttemptsAsync(string reference, string client, CancellationToken ct)
    {
        await using var cmd = database.CreateCommand($"delete from {AttemptsTable} where reference = $1 and client = $2");
        cmd.Parameters.Add(new() { Value = reference });
        cmd.Parameters.Add(new() { Value = client });
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Counts that no longer matter: their window and lock ended before <paramref name="before"/>.</summary>
    public async Task<int> PurgeAttemptsAsync(DateTimeOffset before, CancellationToken ct)
    {
        await using var cmd = database.CreateCommand($"""
            with attempts as (delete from {AttemptsTable} where first_at < $1 and coalesce(locked_until, '-infinity') < $1 returning 1),
                 wrong as (delete from {WrongCodesTable} where window_start < $1 - $2::interval returning 1)
            select (select count(*) from attempts) + (select count(*) from wrong)
            """);
        cmd.Parameters.Add(new() { Value = before });
        cmd.Parameters.Add(new() { Value = BookingWindow });
        return (int)(long)(await cmd.ExecuteScalarAsync(ct))!;
    }

    private string Hash(string reference, string code) =>
        Convert.ToHexString(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes($"{Codes.Normalise(reference)}:{Codes.Normalise(code).Replace("-", "")}")));

}
