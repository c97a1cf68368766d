using JasperFx.Events.Projections;
using Marten;

namespace Marhaba.Planning;

public static class PlanningSetup
{
    public static void AddPlanning(this StoreOptions opts)
    {
        opts.Projections.Snapshot<PortDay>(SnapshotLifecycle.Inline);
        // Aggregated views: asynchronous, they trail the writes by a moment and never slow them down.
        opts.Projections.Add<SailingLoadProjection>(ProjectionLifecycle.Async);
        opts.Projections.Add<SeasonTotalsProjection>(ProjectionLifecycle.Async);
        opts.Schema.For<SailingLoad>().Index(l => l.Destination).Index(l => l.DepartureAt);
        opts.Schema.For<ForecastRecord>();
        opts.Schema.For<SeasonTotals>().Index(t => t.Year);
    }
}
