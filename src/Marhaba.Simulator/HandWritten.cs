using System.Security.Cryptography;
using System.Text;
using Marhaba.Crossings;
using Marhaba.Hosting;
using Marhaba.Sailings;
using Marten;
using Npgsql;
using NpgsqlTypes;

namespace Marhaba.Simulator;

/// <summary>
/// What the platform's arrival path would be written by hand with Npgsql: the same reads, the same rule, the
/// same writes in one transaction, with the same durability, on tables of the same shape and content as the
/// event store's (copies of its streams, events, crossing and sailing documents and kept answers, with their
/// indexes and keys). Statements are prepared; the decision is the platform's own pure rule on the documents
/// read. What it leaves out is all the platform adds: HTTP, authentication, validation, Wolverine, Marten.
/// </summary>
public sealed class HandWritten(string connection, ISerializer serializer)
{
    private const string Port = "MAPTM";
    private static readonly byte[] AnswerKey = RandomNumberGenerator.GetBytes(32);

    /// <summary>The mirror of the event store's tables, filled with copies of its rows.</summary>
    public static async Task CreateAsync(string connection)
    {
        await using var conn = new NpgsqlConnection(connection);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand($"""
            drop schema if exists hand cascade;
            create schema hand;
            create table hand.streams (like marhaba.mt_streams including all);
            create table hand.events (like marhaba.mt_events including all);
            create table hand.crossings (like marhaba.mt_doc_crossing including all);
            create table hand.sailings (like marhaba.mt_doc_sailing including all);
            create table hand.answers (like {IdempotencyLog.Table} including all);
            insert into hand.streams select * from marhaba.mt_streams;
            insert into hand.events select * from marhaba.mt_events;
            insert into hand.crossings select * from marhaba.mt_doc_crossing;
            insert into hand.sailings select * from marhaba.mt_doc_sailing;
            alter table hand.events add foreign key (stream_id) references hand.streams (id) on delete cascade;
            create sequence hand.events_seq;
            select setval('hand.events_seq', (select coalesce(max(seq_id), 1) from hand.events));
            """, conn) { CommandTimeout = 0 };
        await cmd.ExecuteNonQueryAsync();
        await new NpgsqlCommand("vacuum analyze hand.streams, hand.events, hand.crossings, hand.sailings", conn) { CommandTimeout = 0 }.ExecuteNonQueryAsync();
    }

    /// <summary>Puts the crossings back as booked, so that a phase has crossings to arrive (between phases, not timed).</summary>
    public async Task ResetAsync()
    {
        await using var conn = new NpgsqlConnection(connection);
        await conn.OpenAsync();
        await new NpgsqlCommand("""
            update hand.crossings set data = jsonb_set(data, '{Status}', '"Booked"') where data ->> 'Status' = 'Arrived';
            truncate hand.answers;
            """, conn) { CommandTimeout = 0 }.ExecuteNonQueryAsync();
        await new NpgsqlCommand("vacuum analyze hand.crossings, hand.streams, hand.events", conn) { CommandTimeout = 0 }.ExecuteNonQueryAsync();
    }

    private const string Read = """
        select c.data, st.version, s.data from hand.crossings c
        join hand.streams st on st.id = c.id
        join hand.sailings s on s.id = (c.data ->> 'SailingId')::uuid
        where c.id = any($1)
        """;

    /// <summary>One keyed arrival: one read, then the answer, the version-checked append and the snapshot in one transaction.</summary>
    public async Task<bool> ArriveAsync(NpgsqlConnection conn, Guid crossingId, string key)
    {
        var found = await ReadAsync(conn, [crossingId]);
        if (found.Count != 1) return false;
        var (before, version, sailing) = found[0];
        var now = DateTimeOffset.UtcNow;
        var decision = CrossingRules.Record(before, DeskStep.Arrival, Port, "Lane 4", now, "bench-staff", sailing);
        if (decision.Refused is not null) return false;
        var arrived = (CrossingArrived)decision.Event!;
        var crossing = before.Apply(arrived);
        var answer = serializer.ToJson(new CrossingAtPortResult(crossing.Id, crossing.BookingReference, crossing.Status));

        await using var tx = await conn.BeginTransactionAsync();
        await using var batch = new NpgsqlBatch(conn, tx)
        {
            BatchCommands =
            {
                Command("insert into hand.answers (id, fingerprint, status_code, content_type, location, body, started_at) values ($1, $2, 200, 'application/json', null, $3, $4)",
                    key, key, Seal(key, answer), now),
                Command("update hand.streams set version = $2 + 1, timestamp = $3 where id = $1 and version = $2", crossingId, version, now),
                Command("insert into hand.events (seq_id, id, stream_id, version, data, type, timestamp, tenant_id, mt_dotnet_type) values (nextval('hand.events_seq'), $1, $2, $3, $4, 'crossing_arrived', $5, '*DEFAULT*', $6)",
                    Guid.CreateVersion7(), crossingId, version + 1, Jsonb(serializer.ToJson(arrived)), now, typeof(CrossingArrived).FullName!),
                Command("update hand.crossings set data = $2, mt_last_modified = $3, mt_version = $4 where id = $1",
                    crossingId, Jsonb(serializer.ToJson(crossing)), now, version + 1),
            }
        };
        await batch.PrepareAsync();
        await batch.ExecuteNonQueryAsync();
        // The stream's version check: one row, or someone else appended first.
        if (batch.BatchCommands[1].RecordsAffected != 1) throw new InvalidOperationException($"Concurrent change of crossing {crossingId}.");
        await tx.CommitAsync();
        return true;
    }

    /// <summary>A ship's list of arrivals: one read of all its crossings, then every write set-based, in one transaction.</summary>
    public async Task<int> ArriveAllAsync(NpgsqlConnection conn, Guid[] crossingIds, string key)
    {
        var now = DateTimeOffset.UtcNow;
        var ids = new List<Guid>();
        var versions = new List<long>();
        var events = new List<string>();
        var eventIds = new List<Guid>();
        var snapshots = new List<string>();
        foreach (var (crossing, version, sailing) in await ReadAsync(conn, crossingIds))
        {
            var decision = CrossingRules.Record(crossing, DeskStep.Arrival, Port, "Lane 1", now, "bench-staff", sailing);
            if (decision.Refused is not null) continue;
            var arrived = (CrossingArrived)decision.Event!;
            ids.Add(crossing.Id);
            versions.Add(version);
            eventIds.Add(Guid.CreateVersion7());
            events.Add(serializer.ToJson(arrived));
            snapshots.Add(serializer.ToJson(crossing.Apply(arrived)));
        }
        var answer = serializer.ToJson(new { recorded = ids.Count, refused = crossingIds.Length - ids.Count, items = ids });

        await using var tx = await conn.BeginTransactionAsync();
        await using var batch = new NpgsqlBatch(conn, tx)
        {
            BatchCommands =
            {
                Command("insert into hand.answers (id, fingerprint, status_code, content_type, location, body, started_at) values ($1, $2, 200, 'application/json', null, $3, $4)",
                    key, key, Seal(key, answer), now),
                Command("""
                    update hand.streams st set version = v.version + 1, timestamp = $3
                    from unnest($1::uuid[], $2::bigint[]) as v(id, version) where st.id = v.id and st.version = v.version
                    """, ids.ToArray(), versions.ToArray(), now),
                Command("""
                    insert into hand.events (seq_id, id, stream_id, version, data, type, timestamp, tenant_id, mt_dotnet_type)
                    select nextval('hand.events_seq'), e.id, e.stream_id, e.version + 1, e.data, 'crossing_arrived', $5, '*DEFAULT*', $6
                    from unnest($1::uuid[], $2::uuid[], $3::bigint[], $4::jsonb[]) as e(id, stream_id, version, data)
                    """, eventIds.ToArray(), ids.ToArray(), versions.ToArray(), Jsonb(events.ToArray()), now, typeof(CrossingArrived).FullName!),
                Command("""
                    update hand.crossings c set data = v.data, mt_last_modified = $3, mt_version = v.version + 1
                    from unnest($1::uuid[], $2::jsonb[], $4::bigint[]) as v(id, data, version) where c.id = v.id
                    """, ids.ToArray(), Jsonb(snapshots.ToArray()), now, versions.ToArray()),
            }
        };
        await batch.PrepareAsync();
        await batch.ExecuteNonQueryAsync();
        if (batch.BatchCommands[1].RecordsAffected != ids.Count) throw new InvalidOperationException("Concurrent change in a ship's list.");
        await tx.CommitAsync();
        return ids.Count;
    }

    private async Task<List<(Crossing Crossing, long Version, Sailing Sailing)>> ReadAsync(NpgsqlConnection conn, Guid[] ids)
    {
        await using var cmd = new NpgsqlCommand(Read, conn) { Parameters = { new() { Value = ids } } };
        await cmd.PrepareAsync();
        var found = new List<(Crossing, long, Sailing)>(ids.Length);
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync())
            found.Add((serializer.FromJson<Crossing>(reader.GetStream(0)), reader.GetInt64(1), serializer.FromJson<Sailing>(reader.GetStream(2))));
        return found;
    }

    private static NpgsqlBatchCommand Command(string sql, params object[] values)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var value in values) command.Parameters.Add(value as NpgsqlParameter ?? new NpgsqlParameter { Value = value });
        return command;
    }

    private static NpgsqlParameter Jsonb(object value) => new() { Value = value, NpgsqlDbType = value is Array ? NpgsqlDbType.Array | NpgsqlDbType.Jsonb : NpgsqlDbType.Jsonb };

    /// <summary>Sealed as the platform seals its kept answers (AES-GCM).</summary>
    private static string Seal(string id, string body)
    {
        var plain = Encoding.UTF8.GetBytes(body);
        var sealedBytes = new byte[12 + 16 + plain.Length];
        RandomNumberGenerator.Fill(sealedBytes.AsSpan(0, 12));
        using var aes = new AesGcm(AnswerKey, 16);
        aes.Encrypt(sealedBytes.AsSpan(0, 12), plain, sealedBytes.AsSpan(28), sealedBytes.AsSpan(12, 16), Encoding.UTF8.GetBytes(id));
        return "aes-gcm:" + Convert.ToBase64String(sealedBytes);
    }
}
