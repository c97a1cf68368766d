using System.Security.Cryptography;
using System.Text;
using Marten;
using JasperFx;
using Npgsql;

namespace Marhaba.Hosting;

/// <summary>
/// A state-changing request answered once under an Idempotency-Key, kept so that a repeat (a double
/// tap at the quay, a retry over a poor connection) gets the same answer and changes nothing.
/// </summary>
public class IdempotentRequest
{
    public string Id { get; set; } = "";
    public string Fingerprint { get; set; } = "";
    public bool Completed { get; set; }
    public int StatusCode { get; set; }
    public string? ContentType { get; set; }
    public string? Location { get; set; }
    public string Body { get; set; } = "";
    public DateTimeOffset StartedAt { get; set; }
}

/// <summary>
/// Implements the Idempotency-Key header (IETF httpapi draft) for POST, PUT, PATCH and DELETE:
/// the first request with a key claims it, runs, and stores its answer; a repeat with the same
/// body gets that answer again (header Idempotent-Replayed: true); a repeat with another body is
/// refused with 422; a repeat while the first still runs gets 409. Keys are per caller.
/// Server errors are not stored, so the client may retry them.
/// </summary>
/// <remarks>
/// Claims and answers commit without waiting for the disk (<c>synchronous_commit=off</c>): a claim is made
/// durable by the change that follows it (PostgreSQL flushes its log in order), and an answer lost in a
/// database crash leaves a claim that lapses, so a retry runs again and finds the change already made.
/// </remarks>
public sealed class IdempotencyMiddleware(RequestDelegate next, IdempotencyLog log)
{
    public const string Header = "Idempotency-Key";
    public const int MaxKeyLength = 128;
    /// <summary>A claim older than this was left by a process that died mid-request; it may be taken over.</summary>
    public static readonly TimeSpan AbandonedAfter = TimeSpan.FromSeconds(10);

    public async Task InvokeAsync(HttpContext context, TimeProvider clock)
    {
        if (!HttpMethods.IsPost(context.Request.Method) && !HttpMethods.IsPut(context.Request.Method) &&
            !HttpMethods.IsPatch(context.Request.Method) && !HttpMethods.IsDelete(context.Request.Method) ||
            !context.Request.Headers.TryGetValue(Header, out var values))
        {
            await next(context);
            return;
        }

        var key = values.Count == 1 ? values[0] : null;
        if (string.IsNullOrWhiteSpace(key) || key.Length > MaxKeyLength)
        {
            await Results.Problem(Problems.BadRequest(Header, $"{Header} must be one value of 1 to {MaxKeyLength} characters.")).ExecuteAsync(context);
            return;
        }

        context.Request.EnableBuffering();
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body, context.RequestAborted);
        context.Request.Body.Position = 0;

        var fingerprint = Convert.ToHexString(SHA256.HashData(body.ToArray()));
        // Staff keys are theirs; travellers have no account, so a key is theirs only with their address and their
        // request: two travellers' keys never meet, nor one traveller's key and another's answer.
        var caller = context.User.Identity?.IsAuthenticated == true ? context.User.StaffId()
            : $"anonymous {context.Connection.RemoteIpAddress} {fingerprint}";
        var id = Hash($"{caller}\n{context.Request.Method} {context.Request.Path}\n{key}");
        var now = clock.GetUtcNow();

        var claimed = await TryClaimAsync(id, fingerprint, now, context.RequestAborted);
        if (claimed is not null)
        {
            await AnswerRepeatAsync(context, claimed, fingerprint);
            return;
        }

        var originalBody = context.Response.Body;
        using var captured = new MemoryStream();
        context.Response.Body = captured;
        try
        {
            await next(context);
        }
        catch
        {
            context.Response.Body = originalBody;
            await ReleaseAsync(id);
            throw;
        }

        context.Response.Body = originalBody;
        captured.Position = 0;
        if (context.Response.StatusCode >= 500)
        {
            await ReleaseAsync(id);
        }
        else
        {
            await log.CompleteAsync(new IdempotentRequest
            {
                Id = id, Fingerprint = fingerprint, Completed = true, StatusCode = context.Response.StatusCode,
                ContentType = context.Response.ContentType, Location = context.Response.Headers.Location,
                Body = Encoding.UTF8.GetString(captured.ToArray()), StartedAt = now
            });
        }
        await captured.CopyToAsync(originalBody, context.RequestAborted);
    }

    /// <summary>Claims the key; returns null when claimed, or the earlier request holding it.</summary>
    private async Task<IdempotentRequest?> TryClaimAsync(string id, string fingerprint, DateTimeOffset now, CancellationToken ct)
    {
        for (var attempt = 0; attempt < 2; attempt++)
        {
            if (await log.TryInsertAsync(new IdempotentRequest { Id = id, Fingerprint = fingerprint, StartedAt = now }, ct)) return null;
            var existing = await log.LoadAsync(id, ct);
            if (existing is null) continue; // released meanwhile: claim it again
            if (!existing.Completed && now - existing.StartedAt > AbandonedAfter && existing.Fingerprint == fingerprint)
            {
                await ReleaseAsync(id);
                continue;
            }
            return existing;
        }
        return new IdempotentRequest { Id = id, Fingerprint = fingerprint };
    }

    private static async Task AnswerRepeatAsync(HttpContext context, IdempotentRequest earlier, string fingerprint)
    {
        if (earlier.Fingerprint != fingerprint)
        {
            await Results.Problem(Problems.Make(422, "Idempotency-Key reused",
                $"This {Header} was used for a different request; use a new key for a new request.", Header)).ExecuteAsync(context);
            return;
        }
        if (!earlier.Completed)
        {
            context.Response.Headers.RetryAfter = "1";
            await Results.Problem(Problems.Conflict($"A request with this {Header} is still being processed; retry in a moment.")).ExecuteAsync(context);
            return;
        }
        context.Response.StatusCode = earlier.StatusCode;
        context.Response.Headers["Idempotent-Replayed"] = "true";
        if (earlier.ContentType is not null) context.Response.ContentType = earlier.ContentType;
        if (earlier.Location is not null) context.Response.Headers.Location = earlier.Location;
        await context.Response.WriteAsync(earlier.Body, context.RequestAborted);
    }

    /// <summary>Gives the key back after a failure; if even that fails (the database is gone), the claim lapses after <see cref="AbandonedAfter"/>.</summary>
    private async Task ReleaseAsync(string id)
    {
        try
        {
            await log.DeleteAsync(id);
        }
        catch (NpgsqlException)
        {
        }
    }

    private static string Hash(string value) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(value)));
}

/// <summary>
/// The answered requests, in a table of their own (<c>idempotent_requests</c>, created with Marten's
/// schema): each step is one statement, committed on its own without waiting for the disk. An answer may
/// hold a secret (a new booking's access code), so its body is kept sealed (AES-GCM, bound to its record)
/// under a key derived from one kept outside the database.
/// </summary>
public sealed class IdempotencyLog(string connectionString, byte[] secret) : IAsyncDisposable
{
    private const string Sealed = "aes-gcm:";
    private readonly byte[] _key = HKDF.DeriveKey(HashAlgorithmName.SHA256, secret, 32, info: Encoding.UTF8.GetBytes("marhaba idempotent answers"));

    public const string Table = $"{Database.Schema}.idempotent_requests";
    private readonly NpgsqlDataSource _asyncCommit = NpgsqlDataSource.Create(
        new NpgsqlConnectionStringBuilder(connectionString) { Options = "-c synchronous_commit=off" }.ConnectionString);

    public static void AddTo(StoreOptions opts)
    {
        var table = new Weasel.Postgresql.Tables.Table(Table);
        table.AddColumn<string>("id").AsPrimaryKey();
        table.AddColumn<string>("fingerprint").NotNull();
        table.AddColumn<bool>("completed").NotNull();
        table.AddColumn<int>("status_code").NotNull();
        table.AddColumn<string>("content_type");
        table.AddColumn<string>("location");
        table.AddColumn<string>("body").NotNull();
        table.AddColumn<DateTimeOffset>("started_at").NotNull();
        opts.Storage.ExtendedSchemaObjects.Add(table);
    }

    /// <summary>Inserts the claim; false when the key is already held.</summary>
    public async Task<bool> TryInsertAsync(IdempotentRequest claim, CancellationToken ct)
    {
        await using var cmd = _asyncCommit.CreateCommand($"""
            insert into {Table} (id, fingerprint, completed, status_code, body, started_at)
            values ($1, $2, false, 0, '', $3) on conflict (id) do nothing
            """);
        cmd.Parameters.Add(new() { Value = claim.Id });
        cmd.Parameters.Add(new() { Value = claim.Fingerprint });
        cmd.Parameters.Add(new() { Value = claim.StartedAt });
        return await cmd.ExecuteNonQueryAsync(ct) == 1;
    }

    public async Task<IdempotentRequest?> LoadAsync(string id, CancellationToken ct)
    {
        await using var cmd = _asyncCommit.CreateCommand($"select fingerprint, completed, status_code, content_type, location, body, started_at from {Table} where id = $1");
        cmd.Parameters.Add(new() { Value = id });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return null;
        return new IdempotentRequest
        {
            Id = id, Fingerprint = reader.GetString(0), Completed = reader.GetBoolean(1), StatusCode = reader.GetInt32(2),
            ContentType = reader.IsDBNull(3) ? null : reader.GetString(3), Location = reader.IsDBNull(4) ? null : reader.GetString(4),
            Body = Open(id, reader.GetString(5)), StartedAt = reader.GetFieldValue<DateTimeOffset>(6)
        };
    }

    public async Task CompleteAsync(IdempotentRequest answer)
    {
        await using var cmd = _asyncCommit.CreateCommand($"""
            update {Table} set completed = true, status_code = $2, content_type = $3, location = $4, body = $5 where id = $1
            """);
        cmd.Parameters.Add(new() { Value = answer.Id });
        cmd.Parameters.Add(new() { Value = answer.StatusCode });
        cmd.Parameters.Add(new() { Value = (object?)answer.ContentType ?? DBNull.Value });
        cmd.Parameters.Add(new() { Value = (object?)answer.Location ?? DBNull.Value });
        cmd.Parameters.Add(new() { Value = Seal(answer.Id, answer.Body) });
        await cmd.ExecuteNonQueryAsync(CancellationToken.None);
    }

    private string Seal(string id, string body)
    {
        var plain = Encoding.UTF8.GetBytes(body);
        var sealedBytes = new byte[AesGcm.NonceByteSizes.MaxSize + AesGcm.TagByteSizes.MaxSize + plain.Length];
        var nonce = sealedBytes.AsSpan(0, AesGcm.NonceByteSizes.MaxSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(_key, AesGcm.TagByteSizes.MaxSize);
        aes.Encrypt(nonce, plain, sealedBytes.AsSpan(nonce.Length + AesGcm.TagByteSizes.MaxSize), sealedBytes.AsSpan(nonce.Length, AesGcm.TagByteSizes.MaxSize), Encoding.UTF8.GetBytes(id));
        return Sealed + Convert.ToBase64String(sealedBytes);
    }

    /// <summary>The answer as it was given; one written before answers were sealed reads as it was kept.</summary>
    private string Open(string id, string kept)
    {
        if (!kept.StartsWith(Sealed, StringComparison.Ordinal)) return kept;
        var sealedBytes = Convert.FromBase64String(kept[Sealed.Length..]);
        var (nonce, tag) = (AesGcm.NonceByteSizes.MaxSize, AesGcm.TagByteSizes.MaxSize);
        var plain = new byte[sealedBytes.Length - nonce - tag];
        using var aes = new AesGcm(_key, tag);
        aes.Decrypt(sealedBytes.AsSpan(0, nonce), sealedBytes.AsSpan(nonce + tag), sealedBytes.AsSpan(nonce, tag), plain, Encoding.UTF8.GetBytes(id));
        return Encoding.UTF8.GetString(plain);
    }

    public async Task DeleteAsync(string id)
    {
        await using var cmd = _asyncCommit.CreateCommand($"delete from {Table} where id = $1");
        cmd.Parameters.Add(new() { Value = id });
        await cmd.ExecuteNonQueryAsync(CancellationToken.None);
    }

    public async Task<int> DeleteStartedBeforeAsync(DateTimeOffset before, CancellationToken ct)
    {
        await using var cmd = _asyncCommit.CreateCommand($"delete from {Table} where started_at < $1");
        cmd.Parameters.Add(new() { Value = before });
        return await cmd.ExecuteNonQueryAsync(ct);
    }

    public ValueTask DisposeAsync() => _asyncCommit.DisposeAsync();
}
