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
        // Rewritten for every booking and arrival of its sailing: HOT updates, as for the sailing itself.
        opts.Schema.For<SailingLoad>().Duplicate(l => l.Destination).Duplicate(l => l.DepartureAt).FillFactor(70);
        opts.Schema.For<ForecastRecord>();
        opts.Schema.For<SeasonTotals>().Index(t => t.Year);
    }
}
