using Marhaba.Crossings;
using Marhaba.Hosting;
using Marhaba.PortAuthorities;
using Marten;
using Wolverine;
using Wolverine.Marten;

namespace Marhaba.Sailings;

/// <summary>
/// What must follow a change of a sailing, as messages stored with the change (durable outbox):
/// a cancellation moves its crossings; a departure settles who is aboard; and for the sailings of
/// an authority's ports, the departure report when boarding starts and the arrival confirmation; a delay, a
/// cancellation or a new berth is told to the travellers once it has settled.
/// </summary>
public sealed class SailingConsequences(PortAuthorityOptions authority, Notices.NoticeOptions notices)
{
    /// <summary>
    /// The answer to a planner's change of a sailing (loaded under its row lock by Wolverine's aggregate workflow): the
    /// rule's event to append, the sailing as it then stands, and what must follow, all stored in the endpoint's one transaction.
    /// </summary>
    public async Task<(IResult, Events, OutgoingMessages)> AnswerAsync(IDocumentSession session, Sailing sailing, Decision decision, CancellationToken ct)
    {
        var (answer, events) = await session.AnswerAsync(sailing, decision, ListSailingsEndpoint.Summary, ct);
        var messages = new OutgoingMessages();
        if (decision.Event is { } e) messages.AddRange(Of(sailing, e));
        return (answer, events, messages);
    }

    public IEnumerable<object> Of(Sailing before, object e)
    {
        var reported = authority.Linked && authority.Governs(before.Origin);
        if (e is SailingDelayed or SailingCancelled or SailingBerthChanged)
            yield return new Notices.TellTravellersOfSailing(before.Id).DelayedFor(notices.Settle);
        switch (e)
        {
            case SailingCancelled:
                yield return new RebookCrossingsOfCancelledSailing(before.Id);
                break;
            case SailingDeparted departed:
                yield return new SettleCrossingsAtDeparture(before.Id, departed.PersonsOnBoard, departed.DepartedAt, departed.RecordedBy);
                if (reported && before.Status != SailingStatus.Boarding) yield return new SendDepartureReport(before.Id);
                break;
            case SailingBoardingStarted when reported:
                yield return new SendDepartureReport(before.Id);
                break;
            case SailingArrived when reported:
                yield return new SendArrivalConfirmation(before.Id);
                break;
        }
    }
}
