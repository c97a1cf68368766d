using Wolverine.Http;

namespace Marhaba.Ports;

public record PortInfo(string Code, string Name, Country Country, string TimeZone, bool ArrivalPortInMorocco);
public record RouteInfo(string Code, string EuropeanPort, string MoroccanPort, double TypicalHours, string[] Operators);

public static class PortEndpoints
{
    /// <summary>The ports of the operation, by UN/LOCODE.</summary>
    [WolverineGet("/api/ports", OperationId = "ListPorts")]
    [Microsoft.AspNetCore.Authorization.AllowAnonymous]
    public static IEnumerable<PortInfo> GetPorts() =>
        ReferenceData.Ports.Select(p => new PortInfo(p.Code, p.Name, p.Country, p.TimeZone, p.InMorocco));

    /// <summary>The ferry lines of the operation; each runs inbound (to Morocco) and outbound.</summary>
    [WolverineGet("/api/routes", OperationId = "ListRoutes")]
    [Microsoft.AspNetCore.Authorization.AllowAnonymous]
    public static IEnumerable<RouteInfo> GetRoutes() =>
        ReferenceData.Routes.Select(r => new RouteInfo(r.Code, r.EuropeanPort, r.MoroccanPort, r.TypicalDuration.TotalHours, r.Operators));
}
