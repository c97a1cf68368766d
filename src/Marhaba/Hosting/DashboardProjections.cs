using JasperFx.Events.Projections;

namespace Marhaba.Hosting;

/// <summary>Settings shared by the asynchronous dashboards (daily arrivals, sailing loads, season totals, assistance times).</summary>
public static class DashboardProjections
{
    /// <summary>
    /// Their documents are few and hot (a port's day, a sailing, a season): the daemon keeps the last
    /// thousand in memory instead of loading them for every batch. (Pages of 2,000 events instead of
    /// the default were measured: rebuilds ran at half the speed.)
    /// </summary>
    public static void Tune(AsyncOptions options) => options.CacheLimitPerTenant = 1000;
}
