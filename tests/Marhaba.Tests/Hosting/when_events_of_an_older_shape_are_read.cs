using System.Reflection;
using System.Text.Json.Serialization;
using JasperFx.Events.Daemon;
using Marhaba.Crossings;
using Marhaba.Hosting;
using Marhaba.Planning;
using Marhaba.Privacy;
using Marten;
using Marten.Events;
using Npgsql;

namespace Marhaba.Tests.Hosting;

/// <summary>Events written by an earlier version (a renamed event, a renamed field, free text since made a code) still load, aggregate and project.</summary>
public class when_events_of_an_older_shape_are_read(AppFixture app) : Scenario(app)
{
    [Fact]
    public async Task an_old_cancellation_and_erasure_load_aggregate_and_project_through_their_upcasters()
    {
        var sailing = await ScheduleSailing();
        var family = await Book(sailing.Id, 2, 2);
        var at = App.Clock.GetUtcNow();

        // As the earlier version stored them: under the names derived from the classes, with people's words in them.
        await AppendRawAsync(family.CrossingId, 2, "crossing_cancelled",
            $$"""{"Reason":"illness of the mother","CancelledAt":"{{at:O}}","CancelledBy":"op-1","SailingId":"{{sailing.Id}}","Passengers":4,"Vehicle":null}""");
        await AppendRawAsync(family.CrossingId, 3, "traveller_data_erased", $$"""{"At":"{{at:O}}","By":"admin-1","Why":"asked by e-mail"}""");

        await using var session = App.Store.QuerySession();
        var events = (await session.Events.FetchStreamAsync(family.CrossingId)).Select(e => e.Data).ToList();
        events[1].ShouldBe(new CrossingCancelled(CancellationReason.Other, at, "op-1", sailing.Id, 4, null, false));
        events[2].ShouldBe(new TravellerDataErased(at, "admin-1", ErasureReason.TravellerRequest));

        var crossing = (await session.Events.AggregateStreamAsync<Crossing>(family.CrossingId))!;
        crossing.Status.ShouldBe(CrossingStatus.Cancelled);
        crossing.Erased.ShouldBeTrue();

        await ProjectionsCaughtUpAsync();
        (await session.LoadAsync<SailingLoad>(sailing.Id))!.BookedPassengers.ShouldBe(0, "the old cancellation gave the places back");
    }

    [Fact]
    public void every_event_has_a_declared_stored_name_and_its_enums_name_their_stored_values()
    {
        // The platform's own events (the store's internal ones, such as stream archiving, aside).
        var known = App.Store.Options.Events.AllKnownEventTypes().Where(e => e.EventType.Namespace!.StartsWith("Marhaba")).ToList();
        known.Count.ShouldBeGreaterThanOrEqualTo(StoredEvents.Names.Count);
        foreach (var e in known) StoredEvents.Names.GetValueOrDefault(e.EventType).ShouldBe(e.EventTypeName, $"{e.EventType.Name} is stored under a declared name");

        var enums = StoredEvents.Names.Keys.SelectMany(t => t.GetProperties()).Select(p => Nullable.GetUnderlyingType(p.PropertyType) ?? p.PropertyType)
            .Where(t => t.IsEnum).Distinct().ToList();
        enums.ShouldNotBeEmpty();
        foreach (var e in enums)
        foreach (var member in e.GetFields(BindingFlags.Public | BindingFlags.Static))
            member.GetCustomAttribute<JsonStringEnumMemberNameAttribute>().ShouldNotBeNull($"{e.Name}.{member.Name} needs its stored name");
    }

    private async Task AppendRawAsync(Guid stream, int version, string type, string data)
    {
        await using var conn = new NpgsqlConnection(App.ConnectionString);
        await conn.OpenAsync();
        await using var insert = new NpgsqlCommand("""
            insert into marhaba.mt_events (seq_id, id, stream_id, version, data, type, timestamp, tenant_id, mt_dotnet_type, is_archived)
            values (nextval('marhaba.mt_events_sequence'), gen_random_uuid(), $1, $2, $3::jsonb, $4, now(), '*DEFAULT*', null, false);
            """, conn)
        {
            Parameters = { new() { Value = stream }, new() { Value = (long)version }, new() { Value = data }, new() { Value = type } }
        };
        await insert.ExecuteNonQueryAsync();
        await using var bump = new NpgsqlCommand("update marhaba.mt_streams set version = $2 where id = $1", conn)
        {
            Parameters = { new() { Value = stream }, new() { Value = (long)version } }
        };
        await bump.ExecuteNonQueryAsync();
    }
}
