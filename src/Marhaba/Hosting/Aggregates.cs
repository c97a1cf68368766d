using JasperFx.Events;
using Marten;
using Wolverine.Marten;

namespace Marhaba.Hosting;

public static class Aggregates
{
    /// <summary>
    /// The id of no stream (never a derived id, whose version digit is 5, nor an empty one, which the event store refuses):
    /// what a request that names no stream declares, so that Wolverine's aggregate workflow loads nothing for it.
    /// </summary>
    public static readonly Guid NoStream = Guid.AllBitsSet;

    /// <summary>
    /// The aggregate as it will stand once <paramref name="e"/> is stored, built by its own projection (the same Apply
    /// methods as its inline snapshot): the session's instance is left as read, for the snapshot to apply the event to
    /// once at commit. An immutable aggregate's Apply returns a new value; a mutable one is applied to a copy. What a
    /// command answers comes from here, never from a hand-kept list of outcomes.
    /// </summary>
    public static async Task<T> AfterAsync<T>(this IDocumentSession session, T current, object e, CancellationToken ct) where T : class
    {
        var options = (StoreOptions)session.DocumentStore.Options;
        var start = Immutable<T>.Is ? current : Copy(options, current);
        var wrapped = (IEvent)Activator.CreateInstance(typeof(Event<>).MakeGenericType(e.GetType()), e)!;
        return (await options.Projections.AggregatorFor<T>().BuildAsync([wrapped], session, start, ct))!;
    }

    /// <summary>
    /// The one way a command on an aggregate answers: a refusal as its problem details and no event, or the rule's event
    /// to append (Wolverine's aggregate workflow stores it) and the aggregate as it will then stand, shaped by <paramref name="answer"/>.
    /// </summary>
    public static async Task<(IResult, Events)> AnswerAsync<T>(this IDocumentSession session, T current, Decision decision, Func<T, object> answer, CancellationToken ct) where T : class =>
        decision.Refused is { } refused
            ? (refused.ToResult(), [])
            : (Results.Ok(answer(await session.AfterAsync(current, decision.Event!, ct))), [decision.Event!]);

    private static T Copy<T>(StoreOptions options, T current) where T : class
    {
        var serializer = options.Serializer();
        using var json = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(serializer.ToJson(current)));
        return serializer.FromJson<T>(json);
    }

    /// <summary>Whether every property but the store's version is init-only or read-only.</summary>
    private static class Immutable<T>
    {
        public static readonly bool Is = typeof(T).GetProperties().All(p => p.Name == "Version" || p.SetMethod is not { IsPublic: true } setter ||
            setter.ReturnParameter.GetRequiredCustomModifiers().Contains(typeof(System.Runtime.CompilerServices.IsExternalInit)));
    }
}

/// <summary>
/// A stream named by its id in the route, declared for Wolverine's aggregate workflow: a 404 problem naming what is
/// missing when there is none.
/// </summary>
[AttributeUsage(AttributeTargets.Parameter)]
public abstract class StreamInRouteAttribute : WriteAggregateAttribute
{
    protected StreamInRouteAttribute(string routeArgument, string missingMessage) : base(routeArgument)
    {
        OnMissing = Wolverine.Persistence.OnMissing.ProblemDetailsWith404;
        MissingMessage = missingMessage;
    }
}
