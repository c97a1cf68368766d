using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using JasperFx;
using JasperFx.CodeGeneration;
using JasperFx.CodeGeneration.Frames;
using Marten;
using System.Runtime.ExceptionServices;
using JasperFx.CodeGeneration.Model;
using JasperFx.Core.Reflection;
using Npgsql;
using Wolverine.Http;

namespace Marhaba.Hosting;

/// <summary>An answer given once under an Idempotency-Key, kept so that a repeat gets it again.</summary>
public sealed record KeptAnswer(string Fingerprint, int StatusCode, string? ContentType, string? Location, string Body);

/// <summary>
/// The Idempotency-Key header (IETF httpapi draft) on every command of the API (POST, PUT, PATCH, DELETE), as one
/// Wolverine policy woven into each command's generated handler. The answer is written in the same PostgreSQL
/// transaction as the command's events, inline projections and outgoing messages: the key's record exists exactly
/// when the change does. A repeat runs into that record (a primary key) and gets the original answer (header
/// Idempotent-Replayed: true), whenever it comes: after the original's commit, after a crash between commit and reply,
/// or while the original still runs (PostgreSQL holds the duplicate's insert until the original commits or rolls back).
/// A repeat with another request under the same key is refused with 422. Keys are per caller; the fingerprint is the
/// request's meaning (the command as read, once, by the endpoint), not its bytes. Server errors keep nothing, so the
/// client may retry them.
/// </summary>
public static class Idempotency
{
    public const string Header = "Idempotency-Key";
    public const int MaxKeyLength = 128;

    /// <summary>How long a replay waits for the standby to hold the original before answering 503.</summary>
    public static readonly TimeSpan ReplayPatience = TimeSpan.FromSeconds(5);

    public sealed class Policy : IHttpPolicy
    {
        public void Apply(IReadOnlyList<HttpChain> chains, GenerationRules rules, IServiceContainer container)
        {
            foreach (var chain in chains.Where(c => c.HttpMethods.Any(m => m is "POST" or "PUT" or "PATCH" or "DELETE")))
            {
                // A command with a Marten unit of work keeps its answer in it; any other keeps it once answered.
                var inTransaction = chain.ServiceDependencies(container, Type.EmptyTypes).Contains(typeof(IDocumentSession)) &&
                                    chain.ResourceType is not null && chain.ResourceType != typeof(void);
                var frame = new KeyedRequestFrame(chain, inTransaction);
                chain.Middleware.Insert(0, frame);
                if (!inTransaction) continue;
                var keep = new MethodCall(typeof(KeyedRequest), nameof(KeyedRequest.KeepAsync));
                keep.Arguments[0] = frame.Keyed;
                keep.Arguments[2] = chain.Method.Creates.First();
                // Before the unit of work is saved, whatever else runs after the endpoint's method.
                chain.Postprocessors.Insert(0, keep);
            }
        }
    }

    /// <summary>
    /// Wraps the command: the key read with the command (and refused when malformed), the answer held back until the
    /// command is done (a refusal or a duplicate's failed commit may yet give way to the original answer), then given.
    /// </summary>
    private sealed class KeyedRequestFrame : AsyncFrame
    {
        private readonly HttpChain _chain;
        private readonly bool _inTransaction;
        private Variable? _http, _command, _log, _replication, _clock;

        public KeyedRequestFrame(HttpChain chain, bool inTransaction)
        {
            (_chain, _inTransaction) = (chain, inTransaction);
            Keyed = new Variable(typeof(KeyedRequest), "keyedRequest", this);
        }

        public Variable Keyed { get; }

        public override IEnumerable<Variable> FindVariables(IMethodVariables chain)
        {
            yield return _http = chain.FindVariable(typeof(HttpContext));
            if (_chain.RequestType is { } command && command != typeof(void)) yield return _command = chain.FindVariable(command);
            yield return _log = chain.FindVariable(typeof(IdempotencyLog));
            yield return _replication = chain.FindVariable(typeof(Replication));
            yield return _clock = chain.FindVariable(typeof(TimeProvider));
        }

        public override void GenerateCode(GeneratedMethod method, ISourceWriter writer)
        {
            var keyed = Keyed.Usage;
            writer.Write($"var {keyed} = await {typeof(KeyedRequest).FullNameInCode()}.{nameof(KeyedRequest.BeginAsync)}(" +
                         $"{_http!.Usage}, {_command?.Usage ?? "null"}, {_log!.Usage}, {_replication!.Usage}, {_clock!.Usage}, {(_inTransaction ? "true" : "false")});");
            writer.Write($"if ({keyed} is {{ {nameof(KeyedRequest.Refused)}: true }}) return;");
            writer.Write("BLOCK:try");
            Next?.GenerateCode(method, writer);
            writer.FinishBlock();
            writer.Write($"BLOCK:catch (System.Exception failure) when ({keyed} != null)");
            writer.Write($"await {keyed}.{nameof(KeyedRequest.FailedAsync)}(failure);");
            writer.FinishBlock();
            writer.Write("BLOCK:finally");
            writer.Write($"if ({keyed} != null) await {keyed}.{nameof(KeyedRequest.EndAsync)}();");
            writer.FinishBlock();
        }
    }
}

/// <summary>A command sent under an Idempotency-Key, from its first line to its answer.</summary>
public sealed class KeyedRequest
{
    private readonly HttpContext _http;
    private readonly IdempotencyLog _log;
    private readonly Replication _replication;
    private readonly bool _inTransaction;
    private readonly Stream _response;
    private readonly MemoryStream _held = new();
    private bool _answered;

    private KeyedRequest(HttpContext http, IdempotencyLog log, Replication replication, bool inTransaction, string id, string fingerprint, DateTimeOffset startedAt)
    {
        (_http, _log, _replication, _inTransaction) = (http, log, replication, inTransaction);
        (Id, Fingerprint, StartedAt) = (id, fingerprint, startedAt);
        _response = http.Response.Body;
    }

    public string Id { get; }
    public string Fingerprint { get; }
    public DateTimeOffset StartedAt { get; }
    /// <summary>Keyed hashes of the crossings and requests the request names (route, command), for erasure to find its answer.</summary>
    public HashSet<string> Subjects { get; } = [];
    /// <summary>The key itself was refused (400): nothing ran.</summary>
    public bool Refused { get; private init; }
    /// <summary>The command's unit of work holds the answer: it commits with the change, or neither does.</summary>
    public bool KeptInTransaction { get; private set; }

    /// <summary>The key of a command about to run, or none; a malformed key is answered 400 here.</summary>
    public static async Task<KeyedRequest?> BeginAsync(HttpContext http, object? command, IdempotencyLog log, Replication replication, TimeProvider clock, bool inTransaction)
    {
        if (!http.Request.Headers.TryGetValue(Idempotency.Header, out var values)) return null;
        var key = values.Count == 1 ? values[0] : null;
        if (string.IsNullOrWhiteSpace(key) || key.Length > Idempotency.MaxKeyLength)
        {
            await Results.Problem(Problems.BadRequest(Idempotency.Header, $"{Idempotency.Header} must be one value of 1 to {Idempotency.MaxKeyLength} characters.")).ExecuteAsync(http);
            return new KeyedRequest(http, log, replication, inTransaction, "", "", default) { Refused = true };
        }

        // The command as the endpoint read it: its meaning, whatever the order or spacing of the JSON that carried it.
        // An endpoint that reads its body itself (a picture, a signed message) is fingerprinted by the body's bytes.
        JsonNode? meaning;
        string fingerprint;
        if (command is not null)
        {
            meaning = JsonSerializer.SerializeToNode(command, command.GetType(), IdempotencyLog.Canonical);
            fingerprint = log.Fingerprint(meaning);
        }
        else
        {
            var body = await BufferedBodyAsync(http);
            fingerprint = log.Fingerprint(body);
            meaning = IdempotencyLog.JsonOrNone(body);
        }
        // Staff keys are theirs; travellers have no account, so a key is theirs only with their address and their
        // request: two travellers' keys never meet, nor one traveller's key and another's answer.
        var caller = http.User.Identity?.IsAuthenticated == true ? http.User.StaffId() : $"anonymous {Clients.Of(http)} {fingerprint}";
        var keyed = new KeyedRequest(http, log, replication, inTransaction,
            log.Hash($"{caller}\n{http.Request.Method} {http.Request.Path}\n{key}"), fingerprint, clock.GetUtcNow());
        keyed.Subjects.UnionWith(log.SubjectsOf(http.Request.RouteValues.Values.OfType<string>(), meaning));
        http.Response.Body = keyed._held;
        return keyed;
    }

    /// <summary>The body as sent, left for the endpoint to read again.</summary>
    private static async Task<byte[]> BufferedBodyAsync(HttpContext http)
    {
        http.Request.EnableBuffering();
        using var body = new MemoryStream();
        await http.Request.Body.CopyToAsync(body, http.RequestAborted);
        http.Request.Body.Position = 0;
        return body.ToArray();
    }

    /// <summary>Queues the answer into the command's unit of work, after the endpoint's method and before the save.</summary>
    public static async Task KeepAsync(KeyedRequest? keyed, IDocumentSession session, object? answer)
    {
        if (keyed is null) return;
        var rendered = await RenderAsync(keyed._http, answer);
        if (rendered.StatusCode >= 500) return;
        keyed._log.Queue(session, keyed, rendered with { Fingerprint = keyed.Fingerprint });
        keyed.KeptInTransaction = true;
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

    /// <summary>
    /// The command failed. A duplicate's transaction that met the original's kept answer rolled back whole: it is
    /// answered as the original was. Anything else goes on to the error handler.
    /// </summary>
    public async Task FailedAsync(Exception failure)
    {
        _http.Response.Body = _response;
        _answered = true;
        var earlier = await _log.LoadAsync(Id, CancellationToken.None);
        if (earlier is null) ExceptionDispatchInfo.Throw(failure);
        _http.Response.Clear();
        await AnswerRepeatAsync(earlier);
    }

    /// <summary>The command is done: its answer is given, unless the key's original answer stands in its place.</summary>
    public async Task EndAsync()
    {
        if (_answered) return;
        _answered = true;
        _http.Response.Body = _response;
        var status = _http.Response.StatusCode;
        if (!KeptInTransaction && status >= 400 && await _log.LoadAsync(Id, _http.RequestAborted) is { } original)
        {
            // Refused before the command ran (its check now fails, say): the key's original answer stands.
            _http.Response.Clear();
            await AnswerRepeatAsync(original);
            return;
        }
        if (!_inTransaction && status < 500 && status is not (StatusCodes.Status401Unauthorized or StatusCodes.Status403Forbidden))
        {
            // A command without a unit of work of its own: its answer is kept on its own.
            await _log.TryKeepAsync(this, new KeptAnswer(Fingerprint, status, _http.Response.ContentType, _http.Response.Headers.Location,
                Encoding.UTF8.GetString(_held.ToArray())), CancellationToken.None);
        }
        _held.Position = 0;
        await _held.CopyToAsync(_response, _http.RequestAborted);
    }

    private async Task AnswerRepeatAsync(KeptAnswer earlier)
    {
        if (earlier.Fingerprint != Fingerprint)
        {
            await Results.Problem(Problems.Make(422, "Idempotency-Key reused",
                $"This {Idempotency.Header} was used for a different request; use a new key for a new request.", Idempotency.Header)).ExecuteAsync(_http);
            return;
        }
        // The original may be on the primary alone (its wait for the standby was cut short): it is not acknowledged
        // before a standby holds it.
        if (await _replication.WaitUntilHeldAsync(Idempotency.ReplayPatience, CancellationToken.None) is { Writable: false } state)
        {
            _http.Response.Headers.RetryAfter = "2";
            await Results.Problem(Problems.Make(503, "Still being made safe",
                $"This request was carried out but is not yet held by a second database server ({state.Reason}); retry with the same {Idempotency.Header}.")).ExecuteAsync(_http);
            return;
        }
        _http.Response.StatusCode = earlier.StatusCode;
        _http.Response.Headers["Idempotent-Replayed"] = "true";
        if (earlier.ContentType is not null) _http.Response.ContentType = earlier.ContentType;
        if (earlier.Location is not null) _http.Response.Headers.Location = earlier.Location;
        await _http.Response.WriteAsync(earlier.Body, _http.RequestAborted);
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

    /// <summary>How a command is written for its fingerprint: every field, in the command's own order, enums by name.</summary>
    public static readonly JsonSerializerOptions Canonical = new(JsonSerializerDefaults.Web) { Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() } };

    /// <summary>The fingerprint of a command's meaning (none for a command without a body).</summary>
    public string Fingerprint(JsonNode? command) => Hash(command is null ? "" : "json " + command.ToJsonString());

    /// <summary>The fingerprint of a body an endpoint reads itself: its bytes.</summary>
    public string Fingerprint(byte[] body) => body.Length == 0 ? Hash("") : Convert.ToHexString(HMACSHA256.HashData(_fingerprintKey, body));

    /// <summary>
    /// Keyed (HMAC-SHA-256 under a key kept outside the database): a request holds a traveller's reference and access
    /// code, so a plain hash kept in a copy of the database would let anyone test codes against it offline.
    /// </summary>
    public string Hash(string value) => Convert.ToHexString(HMACSHA256.HashData(_fingerprintKey, Encoding.UTF8.GetBytes(value)));

    /// <summary>
    /// Queues the answer into the command's unit of work. A plain insert: a duplicate meets the original's row
    /// (waiting for it while it is uncommitted) and its whole transaction rolls back.
    /// </summary>
    public void Queue(IDocumentSession session, KeyedRequest claim, KeptAnswer answer) =>
        session.QueueSqlCommand(Insert + "(?, ?, ?, ?, ?, ?, ?, ?)",
            claim.Id, claim.Fingerprint, answer.StatusCode, (object?)answer.ContentType ?? DBNull.Value,
            (object?)answer.Location ?? DBNull.Value, Seal(claim.Id, answer.Body), claim.StartedAt, Subjects(claim, answer));

    /// <summary>What the request named and what its answer names.</summary>
    private string[] Subjects(KeyedRequest claim, KeptAnswer answer) =>
        [.. claim.Subjects.Union(SubjectsOf(answer.Body))];

    /// <summary>The fields that name a crossing or a request, at the top of a JSON body or in its list of items.</summary>
    private static readonly HashSet<string> SubjectFields = new(StringComparer.OrdinalIgnoreCase) { "bookingReference", "reference", "crossingId", "requestId" };

    /// <summary>
    /// Keyed hashes of the ids and references a request or answer names: erasure deletes the answers kept for a crossing
    /// or a request by them, without the table saying in clear which answer is whose.
    /// </summary>
    public IEnumerable<string> SubjectsOf(IEnumerable<string> routeValues, JsonNode? json)
    {
        var values = routeValues.Where(v => Guid.TryParse(v, out _)).ToList();
        if (json is JsonObject body)
        {
            var objects = new List<JsonObject> { body };
            objects.AddRange(body.Select(p => p.Value).OfType<JsonArray>().SelectMany(a => a.OfType<JsonObject>()));
            values.AddRange(objects.SelectMany(o => o).Where(p => SubjectFields.Contains(p.Key) && p.Value is JsonValue)
                .Select(p => p.Value!.GetValueKind() == JsonValueKind.String ? p.Value.GetValue<string>() : null).OfType<string>());
        }
        return values.Where(v => v.Length is > 0 and <= 64).Select(Subject).Distinct();
    }

    /// <summary>What an answer names (its body, JSON or not).</summary>
    private IEnumerable<string> SubjectsOf(string answer) => SubjectsOf([], JsonOrNone(Encoding.UTF8.GetBytes(answer)));

    /// <summary>A body or answer as JSON, or none when it is not JSON (it then names no crossing or request).</summary>
    public static JsonNode? JsonOrNone(byte[] body)
    {
        try
        {
            return body.Length > 0 ? JsonNode.Parse(body) : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private string Subject(string value) => Hash("subject " + value.Trim().ToUpperInvariant().Replace("-", ""));

    /// <summary>Deletes, in the erasure's own transaction, every answer kept for these crossings, requests and references.</summary>
    public void QueueErase(IDocumentSession session, IEnumerable<string> ids) =>
        session.QueueSqlCommand($"delete from {Table} where subjects && ?", (object)ids.Select(Subject).Distinct().ToArray());

    /// <summary>Keeps the answer of an endpoint without a unit of work of its own; a repeat keeps the first.</summary>
    public Task TryKeepAsync(KeyedRequest claim, KeptAnswer answer, CancellationToken ct) =>
        Database.OnceMoreIfClosedAsync(database, () => InsertAsync(claim, answer, ct));

    private async Task InsertAsync(KeyedRequest claim, KeptAnswer answer, CancellationToken ct)
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
