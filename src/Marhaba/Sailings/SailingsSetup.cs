using JasperFx.Events.Projections;
using Marten;

namespace Marhaba.Sailings;

public static class SailingsSetup
{
    public static void AddSailings(this StoreOptions opts)
    {
        opts.Projections.Snapshot<Sailing>(SnapshotLifecycle.Inline);
        // Every booking and arrival rewrites its sailing's snapshot: indexed columns that a booking leaves alone, room in
        // the page, so that the rewrite is a HOT update (see CrossingsSetup).
        opts.Schema.For<Sailing>().Duplicate(s => s.DepartureAt).Duplicate(s => s.RouteCode).FillFactor(70);
    }
}
