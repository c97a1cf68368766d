using JasperFx.Events.Projections;
using Marten;

namespace Marhaba.Crossings;

public static class CrossingsSetup
{
    public static void AddCrossings(this StoreOptions opts)
    {
        // Inline: whoever records a step reads it back at once (read-your-write).
        opts.Projections.Snapshot<Crossing>(SnapshotLifecycle.Inline);
        opts.Schema.For<Crossing>()
            .UniqueIndex(c => c.BookingReference)
            .Index(c => c.SailingId);
        opts.Schema.For<CrossingVehicle>().Index(v => v.Plate);
        opts.Projections.Add<PortArrivalsProjection>(ProjectionLifecycle.Async);
    }
}
