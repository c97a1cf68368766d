using JasperFx;
using JasperFx.Events;
using Marten.Exceptions;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.Extensions.Options;

namespace Marhaba.Hosting;

/// <summary>
/// Turns the exceptions that are the caller's or the moment's, not the server's, into 4xx/503
/// problem details: a concurrent change of the same stream, a body that is not what was asked.
/// </summary>
public sealed class KnownExceptionHandler(ILogger<KnownExceptionHandler> logger) : IExceptionHandler
{
    /// <summary>The database is down, restarting or unreachable: the caller should retry, with the same key.</summary>
    public static bool DatabaseUnreachable(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is TimeoutException or System.Net.Sockets.SocketException) return true;
            // Connection lost, server shutting down or restarting, or a server demoted to standby under an open connection.
            if (e is Npgsql.PostgresException { SqlState: var state } && (state.StartsWith("08") || state.StartsWith("57") || state == "25006")) return true;
            // Npgsql's own, not the server's: no connection at all ("No suitable host was found" while no primary is elected).
            if (e is Npgsql.NpgsqlException and not Npgsql.PostgresException) return true;
        }
        return false;
    }

    /// <summary>Someone else wrote the same stream or document first (the API's 409; the pages' "changed at the same moment").</summary>
    public static bool IsConcurrentChange(Exception exception) =>
        exception is ConcurrencyException or EventStreamUnexpectedMaxEventIdException or JasperFx.Events.ExistingStreamIdCollisionException
            or Marten.Exceptions.ExistingStreamIdCollisionException or DocumentAlreadyExistsException;

    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken ct)
    {
        var problem = exception switch
        {
            _ when IsConcurrentChange(exception) =>
                Problems.Conflict("Someone changed this at the same moment; read it again and retry."),
            BadHttpRequestException bad => Problems.Make(bad.StatusCode, "Bad request", bad.Message),
            _ when DatabaseUnreachable(exception) =>
                Problems.Make(503, "Service unavailable", "The database is not reachable right now; retry with the same Idempotency-Key."),
            NotYetReplicatedException => Problems.Make(503, "Still being made safe", exception.Message),
            // A lock held longer than the server's lock_timeout (a commit waiting for its standby holds its locks).
            Npgsql.PostgresException { SqlState: "55P03" } =>
                Problems.Make(503, "Service unavailable", "The change waits behind another that the database has not finished; retry with the same Idempotency-Key."),
            _ => null
        };
        if (problem is null) return false;
        if (problem.Status == 503) context.Response.Headers.RetryAfter = "2";
        // The caller's or the moment's problem, not the server's: one line, no stack trace.
        logger.Log(problem.Status == 503 ? LogLevel.Warning : LogLevel.Information, "Answered {Status} for {Exception}: {Message}",
            problem.Status, exception.GetType().Name, exception.Message);
        context.Response.StatusCode = problem.Status!.Value;
        await Results.Problem(problem).ExecuteAsync(context);
        return true;
    }
}

/// <summary>
/// Bodies are checked once for every endpoint before it runs: at most <see cref="MaxInspected"/> bytes,
/// JSON that reads as the endpoint's request type, not the JSON <c>null</c> (it parses into no command at
/// all), no NUL characters (PostgreSQL keeps none). A bad body is the caller's mistake: a 400 naming what
/// is wrong, and one information line in the log, not an error with a stack trace.
/// </summary>
public sealed class JsonBodyGuard(RequestDelegate next, IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json, ILogger<JsonBodyGuard> logger)
{
    public const int MaxInspected = 1024 * 1024;

    public async Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        var type = context.GetEndpoint()?.Metadata.GetMetadata<IAcceptsMetadata>()?.RequestType;
        if (HttpMethods.IsGet(request.Method) || !request.HasJsonContentType() || type is null && request.ContentLength is null or 0)
        {
            await next(context);
            return;
        }
        if (request.ContentLength > MaxInspected)
        {
            await RefuseAsync(context, Problems.Make(413, "Too large", $"A request body is at most {MaxInspected / 1024} KB.", "body"));
            return;
        }

        request.EnableBuffering();
        using var buffer = new MemoryStream();
        // A body without a length (chunked) is read only up to the limit: what goes past it is not read at all.
        var chunk = new byte[16 * 1024];
        for (int read; (read = await request.Body.ReadAsync(chunk, context.RequestAborted)) > 0;)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length <= MaxInspected) continue;
            await RefuseAsync(context, Problems.Make(413, "Too large", $"A request body is at most {MaxInspected / 1024} KB.", "body"));
            return;
        }
        request.Body.Position = 0;
        var bytes = buffer.ToArray();
        var text = Encoding.UTF8.GetString(bytes);
        var problem = text.Trim() == "null" ? Problems.BadRequest("body", "The body must be a JSON object, not null.")
            : text.Contains("\\u0000", StringComparison.OrdinalIgnoreCase) || text.Contains('\0') ? Problems.BadRequest("body", "Text in the body must not contain NUL characters.")
            : type is null ? null
            : Unreadable(bytes, type);
        if (problem is null) await next(context);
        else await RefuseAsync(context, problem);
    }

    private Microsoft.AspNetCore.Mvc.ProblemDetails? Unreadable(byte[] body, Type type)
    {
        try
        {
            // As bytes, the way the endpoint will read them: invalid UTF-8 is refused here too.
            JsonSerializer.Deserialize(body, type, json.Value.SerializerOptions);
            return null;
        }
        catch (JsonException e)
        {
            return body.Length == 0 ? Problems.BadRequest("body", "A JSON body is required.") : Unreadable(e, "The body is not what this request takes");
        }
    }

    /// <summary>What is wrong with a body that does not read: a value outside an enum is 422 naming its field, anything else 400.</summary>
    public static Microsoft.AspNetCore.Mvc.ProblemDetails Unreadable(JsonException e, string what)
    {
        var field = e.Path is { Length: > 2 } path ? path.TrimStart('$', '.') : "body";
        return e is UndefinedEnumValueException undefined
            ? Problems.Make(422, "Unknown value", $"{field} is not one of {string.Join(", ", UndefinedEnumValueException.Names(undefined.EnumType))}.", field)
            : Problems.BadRequest(field, $"{what}: {e.Message}");
    }

    private async Task RefuseAsync(HttpContext context, Microsoft.AspNetCore.Mvc.ProblemDetails problem)
    {
        logger.LogInformation("Refused the body of {Method} {Path}: {Problem}", context.Request.Method, context.Request.Path, problem.Detail);
        context.Response.StatusCode = problem.Status!.Value;
        await Results.Problem(problem).ExecuteAsync(context);
    }
}

/// <summary>
/// Path ids name streams and documents. The all-zero id names none, and the event store refuses it
/// outright, so it is answered here, for every route, before any endpoint runs.
/// </summary>
public sealed class EmptyIdGuard(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext context)
    {
        foreach (var (name, value) in context.Request.RouteValues)
        {
            if (name.EndsWith("Id", StringComparison.OrdinalIgnoreCase) && value is string text &&
                Guid.TryParse(text, out var id) && id == Guid.Empty)
                return Results.Problem(Problems.Make(404, "Not found", $"{name} {text} names nothing: an id is never all zeros.", name)).ExecuteAsync(context);
        }
        return next(context);
    }
}
