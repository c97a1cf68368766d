using System.Globalization;
using CsvHelper;
using Marhaba.Hosting;
using Marhaba.Planning;
using Marhaba.Ports;
using Marten;
using Microsoft.Extensions.Localization;

namespace Marhaba.Pages;

/// <summary>
/// What planners take away from the dashboard: the coming days as a spreadsheet (CSV, machine-readable: ISO dates,
/// invariant numbers, stable column names) and a printable report of one port's day, in the reader's language.
/// </summary>
public static partial class DashboardExports
{
    public const string CsvRoute = "/dashboard/csv", ReportRoute = "/dashboard/report";

    /// <summary>One day of the outlook, as a spreadsheet row (its writer generated at build time).</summary>
    [CsvRecord]
    public sealed partial record DayRow(
        string Port, string Day, int Sailings, int Seats, int ReservedPassengers, int ReservedVehicles, int ForecastPassengers,
        int ForecastVehicles, int CanClearPassengers, int CanClearVehicles, int ArrivedPassengers, int ArrivedVehicles,
        double UtilisationPassengers, double UtilisationVehicles, double PeakHourUtilisation, bool Saturated, int SaturatedHours, int LongestWaitMinutes);

    public static void MapTo(WebApplication app) =>
        app.MapGet(CsvRoute, async (string? port, int? days, IQuerySession session, TimeProvider clock, HttpContext context) =>
            {
                if (port is null || !ReferenceData.TryGetPort(port, out var known) || !known.InMorocco)
                    return Results.Problem(Problems.BadRequest("port", $"port must be a Moroccan arrival port: {string.Join(", ", PlanningDashboard.ArrivalPorts.Select(p => p.Code))}."));
                if (days is < 1 or > OutlookEndpoints.MaxDays) return Results.Problem(Problems.BadRequest("days", $"days must be between 1 and {OutlookEndpoints.MaxDays}."));
                var now = clock.GetUtcNow();
                var first = OutlookReader.LocalToday(known.Code, now);
                var (outlook, _) = await OutlookReader.DaysAsync(session, known.Code, first, days ?? PlanningDashboard.Days, now, context.RequestAborted);
                var file = new MemoryStream();
                await using (var csv = CsvWriter.Create(file, CsvWriterOptions.Default, leaveOpen: true))
                    await csv.WriteRecordsAsync(outlook.Select(d => new DayRow(known.Code, d.Day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                        d.SailingsArriving, d.CapacityPassengers, d.ReservedPassengers, d.ReservedVehicles, d.ForecastPassengers, d.ForecastVehicles,
                        d.ProcessingPassengers, d.ProcessingVehicles, d.ArrivedPassengers, d.ArrivedVehicles, Math.Round(d.UtilisationPassengers, 3),
                        Math.Round(d.UtilisationVehicles, 3), Math.Round(d.PeakHourUtilisation, 3), d.Saturated, d.SaturatedHours, d.MaxExpectedWaitMinutes)), context.RequestAborted);
                return Results.File(file.ToArray(), "text/csv; charset=utf-8",
                    $"marhaba-{known.Code}-{first:yyyy-MM-dd}.csv");
            })
            .RequireAuthorization(new Microsoft.AspNetCore.Authorization.AuthorizeAttribute
                { AuthenticationSchemes = Staff.StaffSignIn.Scheme, Roles = Roles.Planner + "," + Roles.Admin })
            .ExcludeFromDescription();

    /// <summary>A day's state in a planner's words: why it saturates (which flow, by how much, how long, the wait), or its load.</summary>
    public static string State(IStringLocalizer<StaffTexts> t, DayOutlook d)
    {
        if (!d.Saturated) return t["Dash_OfCapacity", Math.Max(d.UtilisationPassengers, d.UtilisationVehicles).ToString("P0")];
        var why = d.UtilisationVehicles > d.UtilisationPassengers
            ? t["Dash_SaturatedVehicles", d.ForecastVehicles.ToString("N0"), d.ProcessingVehicles.ToString("N0"), d.UtilisationVehicles.ToString("P0"),
                d.SaturatedHours, d.PeakHourUtilisation.ToString("P0"), d.MaxExpectedWaitMinutes]
            : t["Dash_SaturatedPassengers", d.ForecastPassengers.ToString("N0"), d.ProcessingPassengers.ToString("N0"), d.UtilisationPassengers.ToString("P0"),
                d.SaturatedHours, d.PeakHourUtilisation.ToString("P0"), d.MaxExpectedWaitMinutes];
        return t["Dash_Saturated", why];
    }
}
