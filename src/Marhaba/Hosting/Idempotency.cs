using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using JasperFx;
using JasperFx.CodeGeneration;
using JasperFx.CodeGeneration.Frames;
using Marten;
using Npgsql;
using Wolverine.Http;

namespace Marhaba.Hosting;

/// <summary>An answer given once under an Idempotency-Key, kept so that a repeat gets it again.</summary>
public sealed record KeptAnswer(string Fingerprint, int StatusCode, string? ContentType, string? Location, string Body);

/// <summary>
/// The key of the request being served, set by <see cref="IdempotencyMiddleware"/> and read by the command's
/// own unit of work (<see cref="KeptAnswers"/>), which writes the answer beside the command's events.
/// </summary>
public sealed class IdempotencyClaim(string id, string fingerprint, DateTimeOffset startedAt)
{
    public string Id { get; } = id;
    public string Fingerprint { get; } = fingerprint;
    public DateTimeOffset StartedAt { get; } = startedAt;
    /// <summary>Keyed hashes of the crossings and requests the request names (route, body), for erasure to find its answer.</summary>
    public HashSet<string> Subjects { get; } = [];
    /// <summary>The command's unit of work holds the answer: it commits with the change, or neither does.</summary>
    public bool KeptInTransaction { get; set; }
}

/// <summary>Marks an endpoint whose answers are kept in its command's own transaction.</summary>
public sealed class AnswerKeptInTransaction;

/// <summary>
/// Implements the Idempotency-Key header (IETF httpapi draft) for POST, PUT, PATCH and DELETE. The answer
/// is written in the same PostgreSQL transaction as the command's events, inline projections and outgoing
/// messages (<see cref="KeptAnswers"/>): the key's record exists exactly when the change does. A repeat
/// runs into that record (a primary key) and gets the original answer (header Idempotent-Replayed: true),
/// whenever it comes: after the original's commit, after a crash between commit and reply, or while the
/// original still runs (PostgreSQL holds the duplicate's insert until the original commits or rolls back).
/// A repeat with another request under the same key is refused with 422. Keys are per caller; the
/// fingerprint is the request's meaning (canonical JSON), not its bytes. Server errors keep nothing, so
/// the client may retry them.
/// </summary>
public sealed class IdempotencyMiddleware(RequestDelegate next, IdempotencyLog log, Replication replication)
{
    /// <summary>How long a replay waits for the standby to hold the original before answering 503.</summary>
    public static readonly TimeSpan ReplayPatience = TimeSpan.FromSeconds(5);

    public const string Header = "Idempotency-Key";
    public const int MaxKeyLength = 128;

    public async Task InvokeAsync(HttpContext context, TimeProvider clock)
    {
        // Only a request that reached an endpoint (past authentication and authorisation) has its answer kept: a key
        // sent to a route that does not exist, or refused at the door, leaves nothing behind.
        if (!HttpMethods.IsPost(context.Request.Method) && !HttpMethods.IsPut(context.Request.Method) &&
            !HttpMethods.IsPatch(context.Request.Method) && !HttpMethods.IsDelete(context.Request.Method) ||
            context.GetEndpoint() is not RouteEndpoint ||
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

        var fingerprint = log.Fingerprint(body.ToArray());
        // Staff keys are theirs; travellers have no account, so a key is theirs only with their address and their
        // request: two travellers' keys never meet, nor one traveller's key and another's answer.
        var caller = context.User.Identity?.IsAuthenticated == true ? context.User.StaffId()
            : $"anonymous {Clients.Of(context)} {fingerprint}";
        var claim = new IdempotencyClaim(log.Hash($"{caller}\n{context.Request.Method} {context.Request.Path}\n{key}"), fingerprint, clock.GetUtcNow());
        claim.Subjects.UnionWith(log.SubjectsOf(context.Request.RouteValues.Values.OfType<string>(), body.ToArray()));
        context.Features.Set(claim);
        var inTransaction = context.GetEndpoint()?.Metadata.GetMetadata<AnswerKeptInTransaction>() is not null;

        // The answer waits here until the request is done: a refusal or an error may yet give way to the original answer.
        var originalBody = context.Response.Body;
        using var captured = new MemoryStream();
        context.Response.Body = captured;
        try
        {
            await next(context);
        }
        catch (Exception)
        {
            context.Response.Body = originalBody;
            // The duplicate's transaction met the original's kept answer and rolled back whole: answer as the original did.
            if (await log.LoadAsync(claim.Id, CancellationToken.None) is not { } earlier) throw;
            context.Response.Clear();
            await AnswerRepeatAsync(context, earlier, claim.Fingerprint);
            return;
        }
        context.Response.Body = originalBody;

        var status = context.Response.StatusCode;
        if (!claim.KeptInTransaction && status >= 400 && await log.LoadAsync(claim.Id, context.RequestAborted) is { } original)
        {
            // Refused before the command ran (its check now fails, say): the key's original answer stands.
            context.Response.Clear();
            await AnswerRepeatAsync(context, original, claim.Fingerprint);
            return;
        }
        if (!inTransaction && status < 500 && status is not (StatusCodes.Status401Unauthorized or StatusCodes.Status403Forbidden))
        {
            // An endpoint outside the command path (no unit of work of its own): its answer is kept on its own.
            await log.TryKeepAsync(claim, new KeptAnswer(fingerprint, status, context.Response.ContentType, context.Response.Headers.Location,
                Encoding.UTF8.GetString(captured.ToArray())), CancellationToken.None);
        }
        captured.Position = 0;
        await captured.CopyToAsync(originalBody, context.RequestAborted);
    }

    private async Task AnswerRepeatAsync(HttpContext context, KeptAnswer earlier, string fingerprint)
    {
        if (earlier.Fingerprint != fingerprint)
        {
            await Results.Problem(Problems.Make(422, "Idempotency-Key reused",
                $"This {Header} was used for a different request; use a new key for a new request.", Header)).ExecuteAsync(context);
            return;
        }
        // The original may be on the primary alone (its wait for the standby was cut short): it is not acknowledged
        // before a standby holds it.
        if (await replication.WaitUntilHeldAsync(ReplayPatience, CancellationToken.None) is { Writable: false } state)
        {
            context.Response.Headers.RetryAfter = "2";
            await Results.Problem(Problems.Make(503, "Still being made safe",
                $"This request was carried out but is not yet held by a second database server ({state.Reason}); retry with the same {Header}.")).ExecuteAsync(context);
            return;
        }
        context.Response.StatusCode = earlier.StatusCode;
        context.Response.Headers["Idempotent-Replayed"] = "true";
        if (earlier.ContentType is not null) context.Response.ContentType = earlier.ContentType;
        if (earlier.Location is not null) context.Response.Headers.Location = earlier.Location;
        await context.Response.WriteAsync(earlier.Body, context.RequestAborted);
    }
}

/// <summary>
/// Keeps a command's answer in the command's own unit of work: after the endpoint's method returns and before
/// Wolverine saves its changes, the answer it is about to give is rendered, sealed and queued into the same
/// Marten session as the events, the inline projections and the outgoing messages.
/// </summary>
public static class KeptAnswers
{
    public static async Task KeepAsync(HttpContext http, IDocumentSession session, object? answer)
    {
        if (http.Features.Get<IdempotencyClaim>() is not { } claim) return;
        var rendered = await RenderAsync(http, answer);
        if (rendered.StatusCode >= 500) return;
        http.RequestServices.GetRequiredService<IdempotencyLog>().Queue(session, claim, rendered with { Fingerprint = claim.Fingerprint });
        claim.KeptInTransaction = true;
    }

    /// <summary>The answer as Wolverine will write it: an <see cref="IResult"/> executed, a resource as JSON (404 when null).</summary>
    private static async Task<KeptAnswer> RenderAsync(HttpContext http, object? answer)
    {
        var copy = new DefaultHttpContext { RequestServices = http.RequestServices };
        using var body = new MemoryStream();
        copy.Response.Body = body;
        switch (answer)
        {
            case null:
                copy.Response.StatusCode = 404;
                break;
            case IResult result:
                await result.ExecuteAsync(copy);
                break;
            default:
                if (answer is IHttpAware aware) aware.Apply(copy);
                await Results.Json(answer, statusCode: copy.Response.StatusCode).ExecuteAsync(copy);
                break;
        }
        return new KeptAnswer("", copy.Response.StatusCode, copy.Response.ContentType, copy.Response.Headers.Location, Encoding.UTF8.GetString(body.ToArray()));
    }

    /// <summary>Every command endpoint with a Marten unit of work keeps its keyed answers in it.</summary>
    public sealed class Policy : IHttpPolicy
    {
        public void Apply(IReadOnlyList<HttpChain> chains, GenerationRules rules, IServiceContainer container)
        {
            foreach (var chain in chains.Where(c => c.HttpMethods.Any(m => m is "POST" or "PUT" or "PATCH" or "DELETE")))
            {
                if (!chain.ServiceDependencies(container, Type.EmptyTypes).Contains(typeof(IDocumentSession)) ||
                    chain.ResourceType is null || chain.ResourceType == typeof(void)) continue;
                var call = new MethodCall(typeof(KeptAnswers), nameof(KeepAsync));
                call.Arguments[2] = chain.Method.Creates.First();
                // Before the unit of work is saved, whatever else runs after the endpoint's method.
                chain.Postprocessors.Insert(0, call);
                chain.Metadata.WithMetadata(new AnswerKeptInTransaction());
            }
        }
    }
}

/// <summary>
/// The kept answers, in a table of their own (<c>kept_answers</c>, created with Marten's schema). An answer may
/// hold a secret (a new booking's access code), so its body is kept sealed (AES-GCM, bound to its key) under a
/// key derived from one kept outside the database.
/// </summary>
public sealed class IdempotencyLog(NpgsqlDataSource database, byte[] secret)
{
    private const string Sealed = "aes-gcm:";
    private readonly byte[] _key = HKDF.DeriveKey(HashAlgorithmName.SHA256, secret, 32, info: Encoding.UTF8.GetBytes("marhaba idempotent answers"));
    private readonly byte[] _fingerprintKey = HKDF.DeriveKey(HashAlgorithmName.SHA256, secret, 32, info: Encoding.UTF8.GetBytes("marhaba request fingerprints"));

    public const string Table = $"{Database.Schema}.kept_answers";
    private const string Insert = $"insert into {Table} (id, fingerprint, status_code, content_type, location, body, started_at, subjects) values ";

    public static void AddTo(StoreOptions opts)
    {
        var table = new Weasel.Postgresql.Tables.Table(Table);
        table.AddColumn<string>("id").AsPrimaryKey();
        table.AddColumn<string>("fingerprint").NotNull();
        table.AddColumn<int>("status_code").NotNull();
        table.AddColumn<string>("content_type");
        table.AddColumn<string>("location");
        table.AddColumn<string>("body").NotNull();
        table.AddColumn<DateTimeOffset>("started_at").NotNull();
        table.AddColumn("subjects", "text[]");
        table.Indexes.Add(new Weasel.Postgresql.Tables.IndexDefinition("ix_kept_answers_subjects") { Columns = ["subjects"], Method = Weasel.Postgresql.Tables.IndexMethod.gin });
        opts.Storage.ExtendedSchemaObjects.Add(table);
    }

    /// <summary>
    /// The request's meaning: a JSON body with its object members in one order and names as the endpoints read
    /// them (case-insensitively), numbers by value; other bodies by their bytes.
    /// </summary>
    public string Fingerprint(byte[] body)
    {
        if (body.Length == 0) return Hash("");
        try
        {
            var canonical = Canonical(JsonNode.Parse(body));
            return Hash("json " + (canonical?.ToJsonString() ?? "null"));
        }
        catch (JsonException)
        {
            return Convert.ToHexString(HMACSHA256.HashData(_fingerprintKey, body));
        }
    }

    private static JsonNode? Canonical(JsonNode? node) => node switch
    {
        JsonObject o => new JsonObject(o.Select(p => KeyValuePair.Create(p.Key.ToLowerInvariant(), Canonical(p.Value)))
            .OrderBy(p => p.Key, StringComparer.Ordinal)
            .DistinctBy(p => p.Key)),
        JsonArray a => new JsonArray(a.Select(Canonical).ToArray()),
        JsonValue v when v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<decimal>(out var number) => JsonValue.Create(number),
        JsonValue v => v.DeepClone(),
        _ => null
    };

    /// <summary>
    /// Keyed (HMAC-SHA-256 under a key kept outside the database): a request holds a traveller's reference and access
    /// code, so a plain hash kept in a copy of the database would let anyone test codes against it offline.
    /// </summary>
    public string Hash(string value) => Convert.ToHexString(HMACSHA256.HashData(_fingerprintKey, Encoding.UTF8.GetBytes(value)));

    /// <summary>
    /// Queues the answer into the command's unit of work. A plain insert: a duplicate meets the original's row
    /// (waiting for it while it is uncommitted) and its whole transaction rolls back.
    /// </summary>
    public void Queue(IDocumentSession session, IdempotencyClaim claim, KeptAnswer answer) =>
        session.QueueSqlCommand(Insert + "(?, ?, ?, ?, ?, ?, ?, ?)",
            claim.Id, claim.Fingerprint, answer.StatusCode, (object?)answer.ContentType ?? DBNull.Value,
            (object?)answer.Location ?? DBNull.Value, Seal(claim.Id, answer.Body), claim.StartedAt, Subjects(claim, answer));

    /// <summary>What the request named and what its answer names.</summary>
    private string[] Subjects(IdempotencyClaim claim, KeptAnswer answer) =>
        [.. claim.Subjects.Union(SubjectsOf([], Encoding.UTF8.GetBytes(answer.Body)))];

    /// <summary>The fields that name a crossing or a request, at the top of a JSON body or in its list of items.</summary>
    private static readonly HashSet<string> SubjectFields = new(StringComparer.OrdinalIgnoreCase) { "bookingReference", "reference", "crossingId", "requestId" };

    /// <summary>
    /// Keyed hashes of the ids and references a request or answer names: erasure deletes the answers kept for a crossing
    /// or a request by them, without the table saying in clear which answer is whose.
    /// </summary>
    public IEnumerable<string> SubjectsOf(IEnumerable<string> routeValues, byte[] json)
    {
        var values = routeValues.Where(v => Guid.TryParse(v, out _)).ToList();
        try
        {
            if (json.Length > 0 && JsonNode.Parse(json) is JsonObject body)
            {
                var objects = new List<JsonObject> { body };
                objects.AddRange(body.Select(p => p.Value).OfType<JsonArray>().SelectMany(a => a.OfType<JsonObject>()));
                values.AddRange(objects.SelectMany(o => o).Where(p => SubjectFields.Contains(p.Key) && p.Value is JsonValue)
                    .Select(p => p.Value!.GetValueKind() == JsonValueKind.String ? p.Value.GetValue<string>() : null).OfType<string>());
            }
        }
        catch (JsonException)
        {
            // Not JSON: it names nothing this way.
        }
        return values.Where(v => v.Length is > 0 and <= 64).Select(Subject).Distinct();
    }

    private string Subject(string value) => Hash("subject " + value.Trim().ToUpperInvariant().Replace("-", ""));

    /// <summary>Deletes, in the erasure's own transaction, every answer kept for these crossings, requests and references.</summary>
    public void QueueErase(IDocumentSession session, IEnumerable<string> ids) =>
        session.QueueSqlCommand($"delete from {Table} where subjects && ?", (object)ids.Select(Subject).Distinct().ToArray());

    /// <summary>Keeps the answer of an endpoint without a unit of work of its own; a repeat keeps the first.</summary>
    public Task TryKeepAsync(IdempotencyClaim claim, KeptAnswer answer, CancellationToken ct) =>
        Database.OnceMoreIfClosedAsync(database, () => InsertAsync(claim, answer, ct));

    private async Task InsertAsync(IdempotencyClaim claim, KeptAnswer answer, CancellationToken ct)
    {
        await using var cmd = database.CreateCommand(Insert + "($1, $2, $3, $4, $5, $6, $7, $8) on conflict (id) do nothing");
        foreach (var value in new object?[] { claim.Id, claim.Fingerprint, answer.StatusCode, answer.ContentType, answer.Location, Seal(claim.Id, answer.Body), claim.StartedAt, Subjects(claim, answer) })
            cmd.Parameters.Add(new() { Value = value ?? DBNull.Value });
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public Task<KeptAnswer?> LoadAsync(string id, CancellationToken ct) => Database.OnceMoreIfClosedAsync(database, () => ReadAsync(id, ct));

    private async Task<KeptAnswer?> ReadAsync(string id, CancellationToken ct)
    {
        await using var cmd = database.CreateCommand($"select fingerprint, status_code, content_type, location, body from {Table} where id = $1");
        cmd.Parameters.Add(new() { Value = id });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return null;
        return new KeptAnswer(reader.GetString(0), reader.GetInt32(1), reader.IsDBNull(2) ? null : reader.GetString(2),
            reader.IsDBNull(3) ? null : reader.GetString(3), Open(id, reader.GetString(4)));
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

    private string Open(string id, string kept)
    {
        var sealedBytes = Convert.FromBase64String(kept[Sealed.Length..]);
        var (nonce, tag) = (AesGcm.NonceByteSizes.MaxSize, AesGcm.TagByteSizes.MaxSize);
        var plain = new byte[sealedBytes.Length - nonce - tag];
        using var aes = new AesGcm(_key, tag);
        aes.Decrypt(sealedBytes.AsSpan(0, nonce), sealedBytes.AsSpan(nonce + tag), sealedBytes.AsSpan(nonce, tag), plain, Encoding.UTF8.GetBytes(id));
        return Encoding.UTF8.GetString(plain);
    }

    public async Task<int> DeleteStartedBeforeAsync(DateTimeOffset before, CancellationToken ct)
    {
        await using var cmd = database.CreateCommand($"delete from {Table} where started_at < $1");
        cmd.Parameters.Add(new() { Value = before });
        return await cmd.ExecuteNonQueryAsync(ct);
    }

}
