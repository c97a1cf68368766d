using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Marhaba.Tests.Security;

/// <summary>Every HTTP endpoint the running application exposes, as "METHOD /route".</summary>
public static class EndpointCatalogue
{
    public static List<(string Method, string Route)> Of(IServiceProvider services) =>
        services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"]).Select(m => (m, "/" + e.RoutePattern.RawText!.TrimStart('/'))))
            .Where(e => !e.Item2.StartsWith("/openapi") && !e.Item2.StartsWith("/docs") && e.Item2 != "/")
            .Distinct().OrderBy(e => e.Item2).ThenBy(e => e.m).ToList();

    /// <summary>A concrete path for a route: ids that exist nowhere, Tanger Med, a day of the next season.</summary>
    public static string Path(string route) => route
        .Replace("{crossingId}", Guid.NewGuid().ToString()).Replace("{sailingId}", Guid.NewGuid().ToString())
        .Replace("{requestId}", Guid.NewGuid().ToString()).Replace("{port}", "MAPTM").Replace("{day}", "2027-07-28")
        .Replace("{requestReference}", "AST-AAAAAAAAAA");
}

