using JasperFx.Events.Projections;
using Marten;

namespace Marhaba.Planning;

public static class PlanningSetup
{
    /// <summary>The composite projection of the crossings' dashboards (arrivals per port and hour, sailings' loads, season totals).</summary>
    public const string CrossingViews = "CrossingViews";

    public static void AddPlanning(this StoreOptions opts)
    {
        opts.Projections.Snapshot<PortDay>(SnapshotLifecycle.Inline);
        // Aggregated views: asynchronous, they trail the writes by a moment and never slow them down. The three fed by a
        // crossing's steps run as one: each page of events is fetched once for the three, and their writes go in one batch.
        opts.Projections.CompositeProjectionFor(CrossingViews, views =>
        {
            Hosting.DashboardProjections.Tune(views.Options);
            views.Options.BatchSize = 5000;
            views.Add<Crossings.PortArrivalsProjection>();
            views.Add<SailingLoadProjection>();
            views.Add<SeasonTotalsProjection>();
        });
        // Rewritten for every booking and arrival of its sailing: HOT updates, as for the sailing itself.
        opts.Schema.For<SailingLoad>().Duplicate(l => l.Destination).Duplicate(l => l.DepartureAt).FillFactor(70);
        opts.Schema.For<ForecastRecord>();
        opts.Schema.For<SeasonTotals>().Index(t => t.Year);
    }
}
