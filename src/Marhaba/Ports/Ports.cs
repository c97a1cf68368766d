using System.Globalization;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Marhaba.Ports;

public enum Country { MA, ES, FR, IT }

/// <summary>A port of the operation, named by its UN/LOCODE (country + 3 letters, e.g. MAPTM).</summary>
/// <param name="PassengersPerHour">Default processing capacity of the border and customs lanes, when planners set none.</param>
/// <param name="VehiclesPerHour">Likewise for vehicles.</param>
/// <param name="ArabicName">The name in Arabic script, for readers of Arabic; the UN/LOCODE stays the key.</param>
public sealed record Port(string Code, string Name, Country Country, string TimeZone, int PassengersPerHour, int VehiclesPerHour, string ArabicName)
{
    public string NameIn(System.Globalization.CultureInfo culture) => culture.TwoLetterISOLanguageName == "ar" ? ArabicName : Name;

    public bool InMorocco => Country == Country.MA;
    public TimeZoneInfo Zone => TimeZoneInfo.FindSystemTimeZoneById(TimeZone);

    /// <summary>The port's local time: the one definition of an hour and a day in every view and figure.</summary>
    public DateTimeOffset Local(DateTimeOffset at) => TimeZoneInfo.ConvertTime(at, Zone);
    public DateOnly LocalDay(DateTimeOffset at) => DateOnly.FromDateTime(Local(at).DateTime);

    /// <summary>
    /// A time here as it now stands, and as first published when it moved, in the reader's words
    /// (<paramref name="wasNow"/>: "was {0}, now {1}" gives "was 14:00, now Sat 06 Dec 16:10").
    /// </summary>
    public string Moved(DateTimeOffset scheduled, DateTimeOffset now, string format, IFormatProvider culture, string wasNow)
    {
        var (was, shown) = (Local(scheduled), Local(now));
        if (was.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) == shown.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)) return shown.ToString(format, culture);
        return string.Format(culture, wasNow, was.ToString(was.Date == shown.Date ? "HH:mm" : format, culture), shown.ToString(format, culture));
    }

    /// <summary>
    /// The Fondation Mohammed V's 24/7 line for a traveller at this port: toll-free from a Moroccan phone in Morocco,
    /// the Rabat coordination office's number from abroad.
    /// </summary>
    public string AssistanceLine => InMorocco ? "080 000 23 23" : "+212 537 20 55 66";
}

/// <summary>A ferry line between a European port and a Moroccan port; it runs both ways.</summary>
public sealed record Route(string Code, string EuropeanPort, string MoroccanPort, TimeSpan TypicalDuration, string[] Operators)
{
    public string OriginFor(Direction direction) => direction == Direction.Inbound ? EuropeanPort : MoroccanPort;
    public string DestinationFor(Direction direction) => direction == Direction.Inbound ? MoroccanPort : EuropeanPort;
}

/// <summary>Inbound is the journey home to Morocco; outbound the return to Europe.</summary>
public enum Direction
{
    [JsonStringEnumMemberName("Inbound")] Inbound,
    [JsonStringEnumMemberName("Outbound")] Outbound,
}

/// <summary>
/// The ports and lines of the summer operation. Codes checked against UN/LOCODE; durations are the
/// typical published crossing times (approximate where the operators publish ranges).
/// </summary>
public static class ReferenceData
{
    // Default processing capacities: Tanger Med from its record day (27 Aug 2018: 53,137 passengers and
    // 10,510 vehicles in 24 h), Algeciras from its 2018 arrival-control ceiling (~40,000 passengers and
    // ~9,500 cars a day); the others are estimates in proportion to their 2025 traffic, for planners to set.
    public static readonly IReadOnlyList<Port> Ports =
    [
        new("MAPTM", "Tanger Med", Country.MA, "Africa/Casablanca", 2200, 440, "طنجة المتوسط"),
        new("MATNG", "Tanger Ville", Country.MA, "Africa/Casablanca", 900, 150, "طنجة المدينة"),
        new("MANDR", "Nador", Country.MA, "Africa/Casablanca", 800, 180, "الناظور"),
        new("MAAHU", "Al Hoceima", Country.MA, "Africa/Casablanca", 200, 50, "الحسيمة"),
        new("ITGOA", "Genova", Country.IT, "Europe/Rome", 600, 150, "جنوة"),
        new("ITSVN", "Savona", Country.IT, "Europe/Rome", 600, 150, "سافونا"),
        new("ITCVV", "Civitavecchia", Country.IT, "Europe/Rome", 600, 150, "تشيفيتافيكيا"),
        new("FRSET", "Sète", Country.FR, "Europe/Paris", 600, 150, "سيت"),
        new("FRMRS", "Marseille", Country.FR, "Europe/Paris", 600, 150, "مرسيليا"),
        new("ESBCN", "Barcelona", Country.ES, "Europe/Madrid", 600, 150, "برشلونة"),
        new("ESALG", "Algeciras", Country.ES, "Europe/Madrid", 1700, 400, "الجزيرة الخضراء"),
        new("ESTAR", "Tarifa", Country.ES, "Europe/Madrid", 600, 150, "طريفة"),
        new("ESLEI", "Almería", Country.ES, "Europe/Madrid", 600, 150, "ألمرية"),
        new("ESMOT", "Motril", Country.ES, "Europe/Madrid", 600, 150, "موتريل"),
    ];

    public static readonly IReadOnlyList<Route> Routes =
    [
        new("ITGOA-MAPTM", "ITGOA", "MAPTM", TimeSpan.FromHours(48), ["GNV"]),
        new("ITSVN-MAPTM", "ITSVN", "MAPTM", TimeSpan.FromHours(46), ["Grimaldi Lines"]),
        new("ITCVV-MAPTM", "ITCVV", "MAPTM", TimeSpan.FromHours(36), ["GNV"]),
        new("FRSET-MAPTM", "FRSET", "MAPTM", TimeSpan.FromHours(34), ["GNV"]),
        new("FRSET-MANDR", "FRSET", "MANDR", TimeSpan.FromHours(29), ["GNV"]),
        new("FRMRS-MAPTM", "FRMRS", "MAPTM", TimeSpan.FromHours(39), ["La Méridionale"]),
        new("ESBCN-MAPTM", "ESBCN", "MAPTM", TimeSpan.FromHours(28), ["GNV", "Grimaldi Lines"]),
        new("ESALG-MAPTM", "ESALG", "MAPTM", TimeSpan.FromMinutes(90), ["FRS", "Baleària", "Africa Morocco Link", "Inter Shipping"]),
        new("ESTAR-MATNG", "ESTAR", "MATNG", TimeSpan.FromMinutes(45), ["Baleària"]),
        new("ESLEI-MANDR", "ESLEI", "MANDR", TimeSpan.FromHours(4), ["Naviera Armas", "Baleària"]),
        new("ESMOT-MANDR", "ESMOT", "MANDR", TimeSpan.FromHours(6), ["Naviera Armas"]),
        new("ESMOT-MAPTM", "ESMOT", "MAPTM", TimeSpan.FromHours(5), ["Naviera Armas"]),
        new("ESMOT-MAAHU", "ESMOT", "MAAHU", TimeSpan.FromHours(5), ["Naviera Armas"]),
    ];

    /// <summary>The ferry companies sailing the routes, as sailings name them.</summary>
    public static readonly IReadOnlyList<string> Companies = Routes.SelectMany(r => r.Operators).Distinct().Order(StringComparer.Ordinal).ToList();

    private static readonly Dictionary<string, Port> PortsByCode = Ports.ToDictionary(p => p.Code, StringComparer.OrdinalIgnoreCase);
    private static readonly Dictionary<string, Route> RoutesByCode = Routes.ToDictionary(r => r.Code, StringComparer.OrdinalIgnoreCase);

    public static bool TryGetPort(string? code, [NotNullWhen(true)] out Port? port)
    {
        port = null;
        return code is not null && PortsByCode.TryGetValue(code.Trim(), out port);
    }

    public static Port Port(string code) => PortsByCode[code];

    /// <summary>The operation's own time, where no port is concerned (aboard a sailing, the daily figures): Morocco's.</summary>
    public static readonly Port Home = PortsByCode["MAPTM"];

    public static bool TryGetRoute(string? code, [NotNullWhen(true)] out Route? route)
    {
        route = null;
        return code is not null && RoutesByCode.TryGetValue(code.Trim(), out route);
    }

    public static Route Route(string code) => RoutesByCode[code];

    public static string KnownPortCodes => string.Join(", ", Ports.Select(p => p.Code));
    public static string KnownRouteCodes => string.Join(", ", Routes.Select(r => r.Code));
}
