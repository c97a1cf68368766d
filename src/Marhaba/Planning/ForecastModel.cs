namespace Marhaba.Planning;

/// <summary>
/// How many passengers (and vehicles) a sailing will carry, from what is booked today:
/// <c>forecast = reserved × uplift(days before departure) × (1 − no-show rate)</c>, at most the ship's capacity.
/// <para>
/// uplift(d) is learned from the sailings of the same arrival port that departed in the last
/// <see cref="HistoryDays"/> days: what they finally carried (net bookings) divided by what had been
/// booked d or more days before they left. The no-show rate is 1 − embarked ÷ booked on those sailings.
/// With fewer than <see cref="MinimumHistorySailings"/> such sailings the defaults below are used and
/// the answer says so.
/// </para>
/// </summary>
public sealed record ForecastModel(string Source, int HistorySailings, int HistoryPassengers, double NoShowRate, double[] UpliftByLeadDays)
{
    public const int HistoryDays = 60;
    public const int MinimumHistorySailings = 5;

    /// <summary>
    /// Estimates for a port without history: advance booking is compulsory on every line, so late
    /// bookings add little in the last days (+2% a day ahead, +8% within a week, +15% two weeks out,
    /// +25% a month out, +40% beyond), and 3% of those booked do not show up.
    /// </summary>
    public static readonly ForecastModel Default = new("default estimates (no departed sailings to learn from yet)", 0, 0, 0.03,
        Enumerable.Range(0, SailingLoad.LeadDayBuckets).Select(d => d switch
        {
            0 => 1.00, 1 => 1.02, 2 => 1.04, < 7 => 1.08, < 14 => 1.15, < 30 => 1.25, _ => 1.40
        }).ToArray());

    public double Uplift(int leadDays) => UpliftByLeadDays[Math.Clamp(leadDays, 0, UpliftByLeadDays.Length - 1)];

    public int Forecast(int reserved, int leadDays, int capacity) =>
        Math.Min(capacity, (int)Math.Round(reserved * Uplift(leadDays) * (1 - NoShowRate)));

    /// <summary>Learns from departed sailings (those with passengers recorded aboard).</summary>
    public static ForecastModel Learn(IReadOnlyCollection<SailingLoad> departed)
    {
        var history = departed.Where(s => s.EmbarkedPassengers > 0 && s.BookedPassengers > 0).ToList();
        if (history.Count < MinimumHistorySailings) return Default;

        // Booked at departure: those who travelled and those who did not show up.
        var finalPassengers = history.Sum(s => (double)s.BookedPassengers + s.NoShowPassengers);
        var noShow = Math.Clamp(1 - history.Sum(s => (double)s.EmbarkedPassengers) / finalPassengers, 0, 0.5);
        var uplift = new double[SailingLoad.LeadDayBuckets];
        for (var lead = 0; lead < uplift.Length; lead++)
        {
            var bookedByThen = history.Sum(s => (double)s.BookedPassengersByLeadDays.Skip(lead).Sum());
            // Where nothing had been booked that early, the nearer lead's factor is the best we know.
            uplift[lead] = bookedByThen > 0 ? Math.Clamp(finalPassengers / bookedByThen, 0.5, 5) : lead > 0 ? uplift[lead - 1] : 1;
        }
        return new ForecastModel($"learned from {history.Count} sailings departed in the last {HistoryDays} days", history.Count,
            (int)finalPassengers, Math.Round(noShow, 4), uplift.Select(u => Math.Round(u, 4)).ToArray());
    }
}
