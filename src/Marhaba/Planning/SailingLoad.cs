using Marhaba.Hosting;
using Marhaba.Crossings;
using JasperFx.Events;
using Marhaba.Sailings;
using Marten.Events.Projections;

namespace Marhaba.Planning;

/// <summary>
/// Who is booked, checked in, aboard, arrived and missing on one sailing, from the crossings'
/// events; plus when the passengers booked (days before departure), from which the forecast
/// learns how many late bookings to expect. Booked counts the crossings still on the sailing (not
/// cancelled, moved away or missing); checked in, those of them that checked in. A cancellation, a
/// move or a no-show takes back what it had counted, so each figure equals a count of the crossings.
/// </summary>
public class SailingLoad
{
    public const int LeadDayBuckets = 61;

    public Guid Id { get; set; }
    public string Origin { get; set; } = "";
    public string Destination { get; set; } = "";
    /// <summary>Kept in UTC, whatever offset it was given with: an instant, indexed in a column of its own.</summary>
    public DateTimeOffset DepartureAt { get => _departureAt; set => _departureAt = value.ToUniversalTime(); }
    private DateTimeOffset _departureAt;
    public int BookedPassengers { get; set; }
    public int BookedVehicles { get; set; }
    public int CheckedInPassengers { get; set; }
    public int CheckedInVehicles { get; set; }
    public int EmbarkedPassengers { get; set; }
    public int EmbarkedVehicles { get; set; }
    public int ArrivedPassengers { get; set; }
    public int ArrivedVehicles { get; set; }
    public int NoShowPassengers { get; set; }

    /// <summary>Passengers booked, by whole days between booking and departure (the last bucket: that many or more).</summary>
    public int[] BookedPassengersByLeadDays { get; set; } = new int[LeadDayBuckets];

    public static int LeadDays(DateTimeOffset bookedAt, DateTimeOffset departureAt) =>
        Math.Clamp((int)Math.Floor((departureAt - bookedAt).TotalDays), 0, LeadDayBuckets - 1);
}

public partial class SailingLoadProjection : MultiStreamProjection<SailingLoad, Guid>
{
    public SailingLoadProjection()
    {
        DashboardProjections.Tune(Options);
        // A season's bookings interleave a thousand sailings: pages of 5,000 events let a rebuild write each sailing's
        // document once per page instead of nearly once per event (a million-crossing store: 20,000 → 49,000 events/s).
        Options.BatchSize = 5000;
        Identity<CrossingBooked>(e => e.SailingId);
        Identity<CrossingCancelled>(e => e.SailingId);
        Identities<CrossingRebooked>(e => [e.FromSailingId, e.ToSailingId]);
        Identity<CrossingCheckedIn>(e => e.SailingId);
        Identity<CrossingEmbarked>(e => e.SailingId);
        Identity<CrossingArrived>(e => e.SailingId);
        Identity<CrossingMarkedNoShow>(e => e.SailingId);
        // The sailing's own departure time moves with its delays.
        Identity<IEvent<SailingDelayed>>(e => e.StreamId);
    }

    public void Apply(SailingLoad view, IEvent<SailingDelayed> e)
    {
        view.Id = e.StreamId;
        view.DepartureAt = e.Data.NewDepartureAt;
    }

    public void Apply(SailingLoad view, CrossingBooked e)
    {
        view.Id = e.SailingId;
        view.Origin = e.Origin;
        view.Destination = e.Destination;
        view.DepartureAt = e.DepartureAt;
        Book(view, e.Adults + e.Children, e.Vehicle is null ? 0 : 1, SailingLoad.LeadDays(e.BookedAt, e.DepartureAt));
    }

    public void Apply(SailingLoad view, CrossingRebooked e)
    {
        var vehicles = e.Vehicle is null ? 0 : 1;
        if (view.Id == e.FromSailingId)
        {
            TakeBack(view, e.Passengers, vehicles, e.WasCheckedIn);
            return;
        }
        view.Id = e.ToSailingId;
        view.DepartureAt = e.DepartureAt;
        Book(view, e.Passengers, vehicles, SailingLoad.LeadDays(e.RebookedAt, e.DepartureAt));
    }

    public void Apply(SailingLoad view, CrossingCancelled e) => TakeBack(view, e.Passengers, e.Vehicle is null ? 0 : 1, e.WasCheckedIn);

    public void Apply(SailingLoad view, CrossingCheckedIn e)
    {
        view.CheckedInPassengers += e.Passengers;
        view.CheckedInVehicles += e.Vehicle is null ? 0 : 1;
    }

    public void Apply(SailingLoad view, CrossingEmbarked e)
    {
        view.EmbarkedPassengers += e.Passengers;
        view.EmbarkedVehicles += e.Vehicle is null ? 0 : 1;
    }

    public void Apply(SailingLoad view, CrossingArrived e)
    {
        view.ArrivedPassengers += e.Passengers;
        view.ArrivedVehicles += e.Vehicle is null ? 0 : 1;
    }

    public void Apply(SailingLoad view, CrossingMarkedNoShow e)
    {
        TakeBack(view, e.Passengers, e.Vehicle is null ? 0 : 1, e.WasCheckedIn);
        view.NoShowPassengers += e.Passengers;
    }

    private static void TakeBack(SailingLoad view, int passengers, int vehicles, bool checkedIn)
    {
        view.BookedPassengers -= passengers;
        view.BookedVehicles -= vehicles;
        if (!checkedIn) return;
        view.CheckedInPassengers -= passengers;
        view.CheckedInVehicles -= vehicles;
    }

    private static void Book(SailingLoad view, int passengers, int vehicles, int leadDays)
    {
        view.BookedPassengers += passengers;
        view.BookedVehicles += vehicles;
        view.BookedPassengersByLeadDays[leadDays] += passengers;
    }
}
