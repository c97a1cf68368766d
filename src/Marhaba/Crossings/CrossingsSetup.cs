using JasperFx.Events.Projections;
using Marten;

namespace Marhaba.Crossings;

public static class CrossingsSetup
{
    public static void AddCrossings(this StoreOptions opts)
    {
        // Inline: whoever records a step reads it back at once (read-your-write).
        opts.Projections.Snapshot<Crossing>(SnapshotLifecycle.Inline);
        // Every desk step rewrites the crossing's snapshot. Its lookups are indexed on columns of their own, which no step
        // changes, and its pages keep room: the rewrite stays in the page without touching an index (a HOT update).
        opts.Schema.For<Crossing>()
            .Duplicate(c => c.BookingReference, configure: i => i.IsUnique = true)
            .Duplicate(c => c.SailingId)
            .Duplicate(c => c.PreviousSailingId)
            .FillFactor(80);
        opts.Schema.For<CrossingVehicle>().Index(v => v.Plate);
    }
}
