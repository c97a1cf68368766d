using Marhaba.Planning;

namespace Marhaba.Tests.Planning;

/// <summary>The forecast's arithmetic, without a server: what it learns from departed sailings.</summary>
public class ForecastModelTests
{
    private static SailingLoad Departed(int bookedTwoWeeksAhead, int bookedInTheLastDay, int embarked)
    {
        var load = new SailingLoad { BookedPassengers = bookedTwoWeeksAhead + bookedInTheLastDay, EmbarkedPassengers = embarked };
        load.BookedPassengersByLeadDays[14] = bookedTwoWeeksAhead;
        load.BookedPassengersByLeadDays[0] = bookedInTheLastDay;
        return load;
    }

    [Fact]
    public void with_too_little_history_the_defaults_apply_and_say_so()
    {
        var model = ForecastModel.Learn([Departed(100, 10, 100)]);
        model.ShouldBe(ForecastModel.Default);
        model.Forecast(1000, 10, 5000).ShouldBe(1116); // 1000 × 1.15 × 0.97
    }

    [Fact]
    public void late_bookings_and_no_shows_are_learned_from_departed_sailings()
    {
        // Five sailings: 80 booked a fortnight ahead, 20 more on the last day, 90 of the 100 aboard.
        var model = ForecastModel.Learn(Enumerable.Range(0, 5).Select(_ => Departed(80, 20, 90)).ToList());

        model.HistorySailings.ShouldBe(5);
        model.NoShowRate.ShouldBe(0.10);
        model.Uplift(0).ShouldBe(1.0);     // everything is booked by departure
        model.Uplift(1).ShouldBe(1.25);    // 500 final ÷ 400 booked a day or more ahead
        model.Uplift(14).ShouldBe(1.25);
        model.Uplift(15).ShouldBe(1.25);   // nothing booked that early: the nearest factor
        model.Forecast(400, 3, 1000).ShouldBe(450); // 400 × 1.25 × 0.9
        model.Forecast(400, 3, 420).ShouldBe(420);  // never more than the ship carries
    }
}
