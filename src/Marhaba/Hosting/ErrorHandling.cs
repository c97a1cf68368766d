using JasperFx;
using JasperFx.Events;
using Marten.Exceptions;
using Microsoft.AspNetCore.Diagnostics;

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
            if (e is Npgsql.PostgresException { SqlState: var state } && (state.StartsWith("08") || state.StartsWith("57"))) return true;
            if (e is Npgsql.NpgsqlException { IsTransient: true }) return true;
        }
        return false;
    }

    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken ct)
    {
        var problem = exception switch
        {
            ConcurrencyException or EventStreamUnexpectedMaxEventIdException or JasperFx.Events.ExistingStreamIdCollisionException
                or Marten.Exceptions.ExistingStreamIdCollisionException or DocumentAlreadyExistsException =>
                Problems.Conflict("Someone changed this at the same moment; read it again and retry."),
            BadHttpRequestException bad => Problems.Make(bad.StatusCode, "Bad request", bad.Message),
            _ when DatabaseUnreachable(exception) =>
                Problems.Make(503, "Service unavailable", "The database is not reachable right now; retry with the same Idempotency-Key."),
            _ => null
        };
        if (problem is null) return false;
        if (problem.Status == 503) context.Response.Headers.RetryAfter = "2";
        logger.LogInformation(exception, "Answered {Status} for {Exception}", problem.Status, exception.GetType().Name);
        context.Response.StatusCode = problem.Status!.Value;
        await Results.Problem(problem).ExecuteAsync(context);
        return true;
    }
}

/// <summary>
/// JSON bodies the store could never hold, answered once for every endpoint: a body of <c>null</c>
/// (it parses, into no command at all), and text with NUL characters (PostgreSQL keeps none).
/// </summary>
public sealed class JsonBodyGuard(RequestDelegate next)
{
    public const int MaxInspected = 1024 * 1024;

    public async Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        if (request.ContentLength is > 0 and <= MaxInspected && request.HasJsonContentType() && !HttpMethods.IsGet(request.Method))
        {
            request.EnableBuffering();
            var text = await new StreamReader(request.Body, leaveOpen: true).ReadToEndAsync(context.RequestAborted);
            request.Body.Position = 0;
            var problem = text.Trim() == "null" ? "The body must be a JSON object, not null."
                : text.Contains("\\u0000", StringComparison.OrdinalIgnoreCase) || text.Contains('\0') ? "Text in the body must not contain NUL characters."
                : null;
            if (problem is not null)
            {
                await Results.Problem(Problems.BadRequest("body", problem)).ExecuteAsync(context);
                return;
            }
        }
        await next(context);
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
