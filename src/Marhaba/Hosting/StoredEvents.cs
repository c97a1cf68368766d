using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Marhaba.Assistance;
using Marhaba.Crossings;
using Marhaba.Planning;
using Marhaba.Privacy;
using Marhaba.Sailings;
using Marten;
using Marten.Services.Json.Transformations.SystemTextJson;

namespace Marhaba.Hosting;

/// <summary>
/// The name each event is stored under, declared here once and never derived from a class name, so
/// that a class can be renamed or moved without orphaning what is stored. A change of shape that old
/// events cannot be read into gets a new name (…_v2) and an upcaster from the old one, below. The
/// members of enums stored in events carry their stored names too ([JsonStringEnumMemberName]).
/// </summary>
public static class StoredEvents
{
    public static readonly IReadOnlyDictionary<Type, string> Names = new Dictionary<Type, string>
    {
        [typeof(EventStoreOpened)] = "event_store_opened",
        [typeof(SailingScheduled)] = "sailing_scheduled",
        [typeof(PlacesReserved)] = "places_reserved",
        [typeof(PlacesReleased)] = "places_released",
        [typeof(SailingCapacityChanged)] = "sailing_capacity_changed",
        [typeof(SailingBoardingStarted)] = "sailing_boarding_started",
        [typeof(SailingDeparted)] = "sailing_departed",
        [typeof(SailingDelayed)] = "sailing_delayed",
        [typeof(SailingCancelled)] = "sailing_cancelled",
        [typeof(SailingArrived)] = "sailing_arrived",
        [typeof(SailingBerthChanged)] = "sailing_berth_changed",

        [typeof(CrossingBooked)] = "crossing_booked",
        [typeof(CrossingCheckedIn)] = "crossing_checked_in",
        [typeof(CrossingEmbarked)] = "crossing_embarked",
        [typeof(CrossingArrived)] = "crossing_arrived",
        [typeof(CrossingCleared)] = "crossing_cleared",
        [typeof(CrossingCompleted)] = "crossing_completed",
        [typeof(CrossingCancelled)] = "crossing_cancelled_v2",
        [typeof(CrossingMarkedNoShow)] = "crossing_marked_no_show",
        [typeof(CrossingRebooked)] = "crossing_rebooked_v2",
        [typeof(CrossingLeftWithoutSailing)] = "crossing_left_without_sailing",
        [typeof(TravellerDataErased)] = "traveller_data_erased_v2",

        [typeof(PortDayCapacitySet)] = "port_day_capacity_set",

        [typeof(AssistanceRequestOpened)] = "assistance_request_opened",
        [typeof(AssistanceRequestAcknowledged)] = "assistance_request_acknowledged",
        [typeof(AssistanceRequestAssigned)] = "assistance_request_assigned",
        [typeof(AssistanceNoteAdded)] = "assistance_note_added",
        [typeof(AssistanceRequestTransferred)] = "assistance_request_transferred",
        [typeof(AssistanceRequestEscalated)] = "assistance_request_escalated",
        [typeof(AssistanceUrgencyRaised)] = "assistance_urgency_raised",
        [typeof(AssistanceRequestResolved)] = "assistance_request_resolved",
        [typeof(AssistanceRequestClosed)] = "assistance_request_closed",
        [typeof(AssistanceRequestReopened)] = "assistance_request_reopened",
        [typeof(AssistanceRequestCancelled)] = "assistance_request_cancelled",
        [typeof(AssistanceRequestMarkedAbusive)] = "assistance_request_marked_abusive",

        [typeof(Staff.StaffAccountChanged)] = "staff_account_changed",
    };

    private static readonly JsonSerializerOptions Json = new() { PropertyNameCaseInsensitive = true, Converters = { new JsonStringEnumConverter() } };

    public static void AddTo(StoreOptions opts)
    {
        foreach (var (type, name) in Names) opts.Events.MapEventType(type, name);

        // Before reasons became codes, people's own words were stored in these events: they are read as
        // "Other" (or what the old text certainly meant), never shown again.
        opts.Events.Upcast<CrossingCancelled>("crossing_cancelled", Reshape<CrossingCancelled>(e =>
        {
            e["Reason"] = nameof(CancellationReason.Other);
            e["WasCheckedIn"] ??= false;
        }));
        opts.Events.Upcast<CrossingRebooked>("crossing_rebooked", Reshape<CrossingRebooked>(e =>
        {
            var moved = (string?)e["RebookedBy"] == RebookCrossingsOfCancelledSailingHandler.By;
            e["Reason"] = moved ? nameof(RebookingReason.SailingCancelled) : nameof(RebookingReason.Other);
            e["WasCheckedIn"] ??= false;
        }));
        // The erasure's free-text "Why" became the code "Reason".
        opts.Events.Upcast<TravellerDataErased>("traveller_data_erased", Reshape<TravellerDataErased>(e =>
        {
            e.Remove("Why");
            e["Reason"] = (string?)e["By"] == "season-erasure" ? nameof(ErasureReason.SeasonClosed) : nameof(ErasureReason.TravellerRequest);
        }));
    }

    private static Marten.Services.Json.Transformations.JsonTransformation Reshape<T>(Action<JsonObject> change) where T : notnull =>
        JsonTransformations.Upcast(document =>
        {
            var e = JsonNode.Parse(document.RootElement.GetRawText())!.AsObject();
            change(e);
            return e.Deserialize<T>(Json)!;
        });
}
