using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;

namespace Marhaba.Hosting;

/// <summary>Headers every answer carries: no sniffing, no framing, no referrer, nothing cached from the traveller pages.</summary>
public sealed class SecurityHeadersMiddleware(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext context)
    {
        var headers = context.Response.Headers;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        var path = context.Request.Path;
        // The quay desk reads the travellers' codes with the tablet's camera; no other page may use it.
        headers["Permissions-Policy"] = path.StartsWithSegments("/desk") ? "camera=(self), microphone=(), geolocation=()" : "camera=(), microphone=(), geolocation=()";
        if (path.StartsWithSegments("/api") || path.StartsWithSegments("/health") || path.StartsWithSegments("/openapi"))
            headers.ContentSecurityPolicy = "default-src 'none'; frame-ancestors 'none'";
        else if (!path.StartsWithSegments("/docs"))
            // Pages: their own styles in the document, forms posted only to this server, no scripts from elsewhere.
            headers.ContentSecurityPolicy = "default-src 'self'; style-src 'self' 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'self'";
        if (context.Request.Path.StartsWithSegments("/api"))
            headers.CacheControl = "no-store";
        return next(context);
    }
}

/// <summary>How often one client may try travellers' references and codes (ASP.NET Core rate limiting, per real client: <see cref="Clients"/>).</summary>
public sealed class TravellerLimits
{
    public const string Section = "Travellers";
    public const string Policy = "travellers";
    public int RequestsPerMinutePerClient { get; set; } = 30;
    /// <summary>Requests opened without a booking at one place in one hour, from anyone (a traveller at the quay has no account).</summary>
    public int WalkUpRequestsPerPlacePerHour { get; set; } = 60;
    /// <summary>Requests one booking opens in one day (UTC), from whatever address.</summary>
    public int RequestsPerBookingPerDay { get; set; } = 10;
    /// <summary>Wrong access codes a reference takes in a day (UTC) from all clients, before only first tries are heard.</summary>
    public int WrongCodesPerBookingPerDay { get; set; } = 20;

    public static void AddTravellerRateLimits(IServiceCollection services, TravellerLimits limits) =>
        services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.OnRejected = async (rejected, _) =>
            {
                rejected.HttpContext.Response.Headers.RetryAfter = "60";
                await Results.Problem(Problems.Make(429, "Too many requests",
                    $"At most {limits.RequestsPerMinutePerClient} traveller requests a minute from one client; wait a minute and try again.")).ExecuteAsync(rejected.HttpContext);
            };
            o.AddPolicy(Policy, http => RateLimitPartition.GetFixedWindowLimiter(
                Clients.Of(http),
                _ => new FixedWindowRateLimiterOptions { PermitLimit = limits.RequestsPerMinutePerClient, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 }));
        });
}
