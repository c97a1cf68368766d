using Marhaba.Crossings;
using Marhaba.Hosting;
using Marhaba.Ports;
using Marhaba.Sailings;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace Marhaba.Planning;

/// <summary>
/// The forecast of a port's day as it stood before the day began, kept so that afterwards forecast
/// and actual stand side by side. Id: "MAPTM:2026-07-28".
/// </summary>
public class ForecastRecord
{
    public string Id { get; set; } = "";
    public string Port { get; set; } = "";
    public DateOnly Day { get; set; }
    public int ForecastPassengers { get; set; }
    public int ForecastVehicles { get; set; }
    public DateTimeOffset MadeAt { get; set; }
    public string Model { get; set; } = "";
    public int? ActualPassengers { get; set; }
    public int? ActualVehicles { get; set; }

    public static string Key(string port, DateOnly day) => $"{port}:{day:yyyy-MM-dd}";
}

/// <summary>Reads the projections an outlook is computed from.</summary>
public static class OutlookReader
{
    public static async Task<OutlookInputs> ReadAsync(IQuerySession session, string port, DateTimeOffset from, DateTimeOffset to, DateTimeOffset now, CancellationToken ct)
    {
        var sailings = await session.Query<Sailing>()
            .Where(s => s.Destination == port && s.ArrivalAt >= from && s.ArrivalAt < to && s.Status != SailingStatus.Cancelled)
            .ToListAsync(ct);
        var loads = (await session.LoadManyAsync<SailingLoad>(ct, sailings.Select(s => s.Id))).ToDictionary(l => l.Id);
        var zone = ReferenceData.Port(port).Zone;
        var days = Enumerable.Range(0, (int)Math.Ceiling((to - from).TotalDays) + 2)
            .Select(d => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(from, zone).DateTime).AddDays(d)).ToList();
        var portDays = (await session.LoadManyAsync<PortDay>(ct, days.Select(d => PortDay.StreamId(port, d)))).ToDictionary(p => p.Day);

        var history = await session.Query<SailingLoad>()
            .Where(l => l.Destination == port && l.DepartureAt >= now.AddDays(-ForecastModel.HistoryDays) && l.DepartureAt < now && l.EmbarkedPassengers > 0)
            .ToListAsync(ct);
        return new OutlookInputs(port, sailings, loads, portDays, ForecastModel.Learn(history), now);
    }

    public static async Task<(List<DayOutlook> Days, ForecastModel Model)> DaysAsync(IQuerySession session, string port, DateOnly first, int count, DateTimeOffset now, CancellationToken ct)
    {
        var zone = ReferenceData.Port(port).Zone;
        var start = CapacityOutlook.LocalMidnight(first, zone);
        var input = await ReadAsync(session, port, start.AddHours(-8), start.AddDays(count), now, ct);
        var records = (await session.LoadManyAsync<ForecastRecord>(ct, Enumerable.Range(0, count).Select(d => ForecastRecord.Key(port, first.AddDays(d)))))
            .ToDictionary(r => r.Day);
        // After the day, the record shows what actually arrived beside what was forecast.
        foreach (var (day, record) in records.Where(r => CapacityOutlook.LocalMidnight(r.Key.AddDays(1), zone) <= now))
        {
            var actual = await session.LoadAsync<PortArrivals>($"{port}:{day:yyyy-MM-dd}", ct);
            record.ActualPassengers = actual?.Passengers ?? 0;
            record.ActualVehicles = actual?.Vehicles ?? 0;
        }
        return (CapacityOutlook.Days(input, first, count, records), input.Model);
    }

    /// <summary>The port hour by hour from the hour <paramref name="from"/> falls in; the six hours before count for the queue it starts with.</summary>
    public static async Task<PortHoursOutlook> HoursAsync(IQuerySession session, string port, DateTimeOffset from, int count, DateTimeOffset now, CancellationToken ct)
    {
        var start = new DateTimeOffset(from.UtcDateTime.Date.AddHours(from.UtcDateTime.Hour), TimeSpan.Zero);
        var input = await ReadAsync(session, port, start.AddHours(-8), start.AddHours(count), now, ct);
        return new PortHoursOutlook(port, input.Model, CapacityOutlook.Hours(input, start.AddHours(-6), count + 6).Skip(6).ToList());
    }

    public static DateOnly LocalToday(string port, DateTimeOffset now) =>
        DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(now, ReferenceData.Port(port).Zone).DateTime);
}

public record RecordForecasts(string? Port);
public record RecordedForecasts(List<ForecastRecord> Records);

public static class RecordForecastsEndpoint
{
    /// <summary>
    /// Keeps tomorrow's forecast of each arrival port (or of one), as it stands now. Run hourly by the
    /// server; the last one made before the day began is the one compared with the actual.
    /// </summary>
    [WolverinePost("/api/planning/forecasts", OperationId = "RecordForecasts")]
    [Authorize(Policy = Policies.Planner)]
    [ProducesResponseType<RecordedForecasts>(200)]
    public static async Task<IResult> Post(RecordForecasts command, IDocumentSession session, TimeProvider clock, CancellationToken ct)
    {
        if (command.Port is not null && !ReferenceData.TryGetPort(command.Port, out _))
            return Problems.BadRequest("port", $"Unknown port '{command.Port}'.").ToResult();
        var ports = command.Port is null ? ReferenceData.Ports.Where(p => p.InMorocco).Select(p => p.Code) : [ReferenceData.Port(command.Port).Code];
        return Results.Ok(new RecordedForecasts(await RecordAsync(session, ports, clock.GetUtcNow(), ct)));
    }

    public static async Task<List<ForecastRecord>> RecordAsync(IDocumentSession session, IEnumerable<string> ports, DateTimeOffset now, CancellationToken ct)
    {
        var records = new List<ForecastRecord>();
        foreach (var port in ports)
        {
            var tomorrow = OutlookReader.LocalToday(port, now).AddDays(1);
            var (days, model) = await OutlookReader.DaysAsync(session, port, tomorrow, 1, now, ct);
            var record = new ForecastRecord
            {
                Id = ForecastRecord.Key(port, tomorrow), Port = port, Day = tomorrow, ForecastPassengers = days[0].ForecastPassengers,
                ForecastVehicles = days[0].ForecastVehicles, MadeAt = now, Model = model.Source
            };
            session.Store(record);
            records.Add(record);
        }
        return records;
    }
}

/// <summary>Records tomorrow's forecasts every hour (once in the cluster), so that each day keeps the last one made before it began.</summary>
public sealed class ForecastRecorder() : Hosting.PeriodicJob("marhaba-forecasts", TimeSpan.FromHours(1))
{
    public override Task RunAsync(IDocumentSession session, DateTimeOffset due, DateTimeOffset? previousDue, DateTimeOffset now, Wolverine.OutgoingMessages messages, CancellationToken ct) =>
        RecordForecastsEndpoint.RecordAsync(session, ReferenceData.Ports.Where(p => p.InMorocco).Select(p => p.Code), now, ct);
}
