using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.HttpOverrides;

namespace Marhaba.Hosting;

/// <summary>
/// The reverse proxies or load balancers in front of the nodes (<c>Proxy:KnownProxies</c>, addresses;
/// <c>Proxy:KnownNetworks</c>, CIDR ranges). Their X-Forwarded-For and X-Forwarded-Proto name the real client and
/// scheme; from anyone else those headers are ignored. None configured: nobody is trusted, not even loopback.
/// </summary>
public sealed class ProxyOptions
{
    public const string Section = "Proxy";
    public string[] KnownProxies { get; set; } = [];
    public string[] KnownNetworks { get; set; } = [];

    /// <summary>A load balancer is configured: TLS ends there, and it is the one to send plain HTTP to HTTPS.</summary>
    public static bool Configured(IConfiguration configuration) =>
        (configuration.GetSection(Section).Get<ProxyOptions>() ?? new ProxyOptions()) is { KnownProxies.Length: > 0 } or { KnownNetworks.Length: > 0 };

    public static void AddTo(IServiceCollection services, IConfiguration configuration)
    {
        var proxies = configuration.GetSection(Section).Get<ProxyOptions>() ?? new ProxyOptions();
        // Read now, so that a wrong setting stops the start with its name rather than a later request.
        var addresses = proxies.KnownProxies.Select((a, i) => IPAddress.TryParse(a, out var ip) ? ip
            : throw new InvalidOperationException($"{Section}:KnownProxies:{i} '{a}' is not an IP address.")).ToList();
        var networks = proxies.KnownNetworks.Select((n, i) => System.Net.IPNetwork.TryParse(n, out var net) ? net
            : throw new InvalidOperationException($"{Section}:KnownNetworks:{i} '{n}' is not a network (CIDR, e.g. 10.0.0.0/24).")).ToList();
        services.Configure<ForwardedHeadersOptions>(o =>
        {
            // With no known proxy ASP.NET would take forwarded headers from anyone: then none are read at all.
            o.ForwardedHeaders = addresses.Count + networks.Count == 0 ? ForwardedHeaders.None
                : ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            // ASP.NET trusts loopback by default; here only what is configured.
            o.KnownProxies.Clear();
            o.KnownIPNetworks.Clear();
            foreach (var address in addresses) o.KnownProxies.Add(address);
            foreach (var network in networks) o.KnownIPNetworks.Add(network);
            // One proxy hop: the address the known proxy saw is the client's.
            o.ForwardLimit = 1;
        });
    }
}

/// <summary>Who a request comes from, for limits and lockouts: its real address (behind a known proxy), an IPv6 client by its /64.</summary>
public static class Clients
{
    public static string Of(HttpContext context) => Key(context.Connection.RemoteIpAddress);

    public static string Key(IPAddress? address)
    {
        if (address is null) return "unknown";
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        if (address.AddressFamily != AddressFamily.InterNetworkV6) return address.ToString();
        // A household or phone gets a whole /64: counting its addresses one by one would let it rotate past any limit.
        var bytes = address.GetAddressBytes();
        Array.Clear(bytes, 8, 8);
        return new IPAddress(bytes) + "/64";
    }
}
