using JasperFx.Events;
using Marten;

namespace Marhaba.Hosting;

public static class Aggregates
{
    /// <summary>
    /// The aggregate as it will stand once <paramref name="e"/> is stored, built by its own projection (the same Apply
    /// methods as its inline snapshot) on a copy: the session's instance is left as read, for the snapshot to apply
    /// the event to once at commit. What a command answers comes from here, never from a hand-kept list of outcomes.
    /// </summary>
    public static async Task<T> AfterAsync<T>(this IDocumentSession session, T current, object e, CancellationToken ct) where T : class
    {
        var options = (StoreOptions)session.DocumentStore.Options;
        var serializer = options.Serializer();
        using var json = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(serializer.ToJson(current)));
        var copy = serializer.FromJson<T>(json);
        var wrapped = (IEvent)Activator.CreateInstance(typeof(Event<>).MakeGenericType(e.GetType()), e)!;
        return (await options.Projections.AggregatorFor<T>().BuildAsync([wrapped], session, copy, ct))!;
    }
}
