using JasperFx.Events.Projections;
using Marten;

namespace Marhaba.Assistance;

public static class AssistanceSetup
{
    public static void AddAssistance(this StoreOptions opts)
    {
        opts.Projections.Snapshot<AssistanceRequest>(SnapshotLifecycle.Inline);
        opts.Schema.For<AssistanceRequest>().UniqueIndex(r => r.Reference).Index(r => r.CrossingId).Index(r => r.Status);
        opts.Schema.For<AssistanceText>();
        opts.Schema.For<AssistanceContact>();
        opts.Projections.Add<AssistanceTimesProjection>(ProjectionLifecycle.Async);
    }
}
