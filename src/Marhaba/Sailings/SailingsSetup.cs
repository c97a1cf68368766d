using JasperFx.Events.Projections;
using Marten;

namespace Marhaba.Sailings;

public static class SailingsSetup
{
    public static void AddSailings(this StoreOptions opts)
    {
        opts.Projections.Snapshot<Sailing>(SnapshotLifecycle.Inline);
        opts.Schema.For<Sailing>().Index(s => s.DepartureAt).Index(s => s.RouteCode);
    }
}
