using Marhaba.Planning;
using Marhaba.Assistance;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Alba;
using Marhaba.Crossings;
using Marhaba.Hosting;
using Marhaba.PortAuthorities;
using Marhaba.Ports;
using Marhaba.Sailings;
using Marten;
using Marten.Events;
using JasperFx.Events.Daemon;
using Microsoft.Extensions.DependencyInjection;
using Wolverine;
using Wolverine.Tracking;
using Xunit.Abstractions;

namespace Marhaba.Tests.PortAuthorities;

public class when_the_port_authority_and_marhaba_talk(AppFixture app, ITestOutputHelper output) : Scenario(app)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() } };

    private static AuthorityNotification Notification(NotificationType type, Guid? sailingId, string? messageId = null) =>
        new(messageId ?? Guid.NewGuid().ToString("N"), type, sailingId, null, null, null, null, null, null, null, null, null, null, null);

    /// <summary>Posts a notification as the authority would, signed with <paramref name="secret"/> at <paramref name="timestamp"/>.</summary>
    private async Task<HttpResponseMessage> Notify(AuthorityNotification n, string? secret = null, DateTimeOffset? timestamp = null, bool sign = true)
    {
        var body = JsonSerializer.Serialize(n, Json);
        var at = (timestamp ?? DateTimeOffset.UtcNow).ToUnixTimeSeconds();
        var request = new HttpRequestMessage(HttpMethod.Post, AuthorityProtocol.NotificationsPath) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add(AuthorityProtocol.AuthorityHeader, StandInAuthorityServer.AuthorityId);
        request.Headers.Add(AuthorityProtocol.TimestampHeader, at.ToString());
        if (sign) request.Headers.Add(AuthorityProtocol.SignatureHeader, AuthorityProtocol.Sign(secret ?? App.Authority.Secret, at, body));
        return await Client().SendAsync(request);
    }

    private async Task<List<object>> SailingEvents(Guid sailingId)
    {
        await using var session = App.Store.QuerySession();
        return (await session.Events.FetchStreamAsync(sailingId)).Select(e => e.Data).ToList();
    }

    private async Task WaitFor(Func<Task<bool>> done, int seconds = 60)
    {
        for (var i = 0; i < seconds * 4 && !await done(); i++) await Task.Delay(250);
        (await done()).ShouldBeTrue();
    }

    [Fact]
    public async Task an_unsigned_badly_signed_or_stale_notification_is_refused_and_changes_nothing()
    {
        var sailing = await ScheduleSailing();
        var delay = Notification(NotificationType.SailingDelayed, sailing.Id) with { NewDepartureAt = sailing.DepartureAt.AddHours(2) };

        (await Notify(delay, sign: false)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await Notify(delay, secret: "not-the-shared-secret")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        var stale = await Notify(delay, timestamp: DateTimeOffset.UtcNow.AddMinutes(-10));
        stale.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await stale.Content.ReadAsStringAsync()).ShouldContain("timestamp");
        (await SailingEvents(sailing.Id)).OfType<SailingDelayed>().ShouldBeEmpty();
    }

    [Fact]
    public async Task a_repeated_notification_is_acknowledged_and_applied_once()
    {
        var sailing = await ScheduleSailing();
        var delay = Notification(NotificationType.SailingDelayed, sailing.Id, "adsp-4711") with { NewDepartureAt = sailing.DepartureAt.AddHours(2), Reason = "fog" };

        (await Notify(delay)).StatusCode.ShouldBe(HttpStatusCode.OK);
        var again = await Notify(delay);
        again.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await again.Content.ReadFromJsonAsync<NotificationReceipt>())!.Duplicate.ShouldBeTrue();

        var delays = (await SailingEvents(sailing.Id)).OfType<SailingDelayed>().ToList();
        delays.Count.ShouldBe(1);
        delays[0].NewDepartureAt.ShouldBe(sailing.DepartureAt.AddHours(2));
        delays[0].NewArrivalAt.ShouldBe(sailing.ArrivalAt.AddHours(2));
    }

    [Fact]
    public async Task copies_of_one_cancellation_arriving_together_are_applied_once_and_each_answered_as_a_duplicate()
    {
        var sailing = await ScheduleSailing();
        await Book(sailing.Id, 2, 0);
        var cancel = Notification(NotificationType.SailingCancelled, sailing.Id, "adsp-9001") with { Reason = "strike" };

        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Notify(cancel)));
        var receipts = new List<NotificationReceipt>();
        foreach (var answer in answers)
        {
            answer.StatusCode.ShouldBe(HttpStatusCode.OK, await answer.Content.ReadAsStringAsync());
            receipts.Add((await answer.Content.ReadFromJsonAsync<NotificationReceipt>())!);
        }
        receipts.Count(r => !r.Duplicate).ShouldBe(1);
        receipts.ShouldAllBe(r => r.Applied);
        (await SailingEvents(sailing.Id)).OfType<SailingCancelled>().Count().ShouldBe(1);

        await using var session = App.Store.QuerySession();
        var record = await session.LoadAsync<ReceivedNotification>($"{StandInAuthorityServer.AuthorityId}:adsp-9001");
        record!.Applied.ShouldBeTrue();
        record.Problem.ShouldBeNull();
        // A late copy, after the rebooking ran, is still a duplicate and leaves the record as it was.
        (await (await Notify(cancel)).Content.ReadFromJsonAsync<NotificationReceipt>())!.Duplicate.ShouldBeTrue();
        (await session.LoadAsync<ReceivedNotification>(record.Id))!.Applied.ShouldBeTrue();
    }

    [Fact]
    public async Task a_berth_change_shows_on_the_travellers_status_with_its_words()
    {
        var sailing = await ScheduleSailing();
        var family = await Book(sailing.Id, 2, 1);
        (await Notify(Notification(NotificationType.BerthChanged, sailing.Id) with { Berth = "Ponte Colombo 12", Terminal = "Terminal Traghetti" }))
            .StatusCode.ShouldBe(HttpStatusCode.OK);

        var status = await Host.Scenario(s => s.Post.Json(new TravellerStatusRequest(family.BookingReference, family.AccessCode, Language.it)).ToUrl("/api/traveller/status"));
        var view = (await status.ReadAsJsonAsync<TravellerStatusResponse>())!;
        view.Sailing.Berth.ShouldBe("Ponte Colombo 12");
        view.Sailing.Terminal.ShouldBe("Terminal Traghetti");
        view.History.Single(h => h.What == "berth-changed").Text.ShouldBe("Cambio di banchina: Terminal Traghetti, Ponte Colombo 12");
    }

    [Fact]
    public async Task a_port_closure_sets_the_hours_it_covers_to_no_capacity_and_leaves_the_others()
    {
        var genova = ReferenceData.Port("ITGOA");
        var day = genova.LocalDay(App.Clock.GetUtcNow()).AddDays(3);
        DateTimeOffset Local(int hour)
        {
            var local = day.ToDateTime(new TimeOnly(hour, 0));
            return new DateTimeOffset(local, genova.Zone.GetUtcOffset(local));
        }
        var closure = Notification(NotificationType.PortClosed, null) with { Port = "ITGOA", ClosedFrom = Local(10), ClosedUntil = Local(13), Reason = "mistral" };
        (await Notify(closure)).StatusCode.ShouldBe(HttpStatusCode.OK);

        var result = await Host.Scenario(s => { s.WithBearerToken(Planner); s.Get.Url($"/api/ports/ITGOA/days/{day:yyyy-MM-dd}/capacity"); });
        var view = (await result.ReadAsJsonAsync<PortDayView>())!;
        view.PassengersPerHour[9].ShouldBe(genova.PassengersPerHour);
        view.PassengersPerHour[10..13].ShouldAllBe(p => p == 0);
        view.VehiclesPerHour[10..13].ShouldAllBe(v => v == 0);
        view.PassengersPerHour[13].ShouldBe(genova.PassengersPerHour);
        view.History.Single().Reason.ShouldContain("mistral");

        // A port of another authority is not this one's to close.
        var tanger = Notification(NotificationType.PortClosed, null) with { Port = "MAPTM", ClosedFrom = Local(10), ClosedUntil = Local(13) };
        (await Notify(tanger)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task a_departure_count_that_disagrees_with_the_check_ins_marks_nobody_missing()
    {
        var sailing = await ScheduleSailing();
        var present = await Book(sailing.Id, 2, 1);
        var unknown = await Book(sailing.Id, 1, 0);
        await Record("ITGOA", PortStaff("ITGOA"), new CrossingAtPort(present.BookingReference, null, null, null), 200, action: "check-ins");

        // Four counted aboard, three checked in: the count cannot tell who is missing.
        await Host.ExecuteAndWaitAsync((Func<Task>)(async () =>
            (await Notify(Notification(NotificationType.SailingDeparted, sailing.Id) with { PersonsOnBoard = 4 })).EnsureSuccessStatusCode()));

        await using var session = App.Store.QuerySession();
        (await session.LoadAsync<Crossing>(present.CrossingId))!.Status.ShouldBe(CrossingStatus.Embarked);
        (await session.LoadAsync<Crossing>(unknown.CrossingId))!.Status.ShouldBe(CrossingStatus.Booked, "left for port staff to settle");
    }

    [Fact]
    public async Task a_notification_about_an_unknown_sailing_is_refused_clearly_and_kept_for_a_planner()
    {
        var unknown = Guid.NewGuid();
        var answer = await Notify(Notification(NotificationType.SailingCancelled, unknown, "adsp-0001"));
        answer.StatusCode.ShouldBe((HttpStatusCode)422);
        (await answer.Content.ReadAsStringAsync()).ShouldContain(unknown.ToString());

        var kept = await Host.Scenario(s => { s.WithBearerToken(Planner); s.Get.Url("/api/port-authority/notifications?applied=false"); });
        var list = (await kept.ReadAsJsonAsync<List<ReceivedNotification>>())!;
        list.Single().MessageId.ShouldBe("adsp-0001");
        list.Single().Problem.ShouldNotBeNull().ShouldContain("kept for a planner");
    }

    [Fact]
    public async Task the_stand_in_cancels_a_genova_sailing_and_its_travellers_see_their_new_sailing()
    {
        var now = App.Clock.GetUtcNow();
        var cancelled = await ScheduleSailing(passengers: 100, departure: now.AddHours(6));
        var next = await ScheduleSailing(passengers: 4, departure: now.AddHours(30));
        var family = await Book(cancelled.Id, 2, 2);
        var couple = await Book(cancelled.Id, 2, 0);

        // Through the stand-in program, as the authority would send it, signed.
        await Host.ExecuteAndWaitAsync((Func<Task>)(async () =>
        {
            var sent = await App.Authority.Client.PostAsJsonAsync("/notify",
                Notification(NotificationType.SailingCancelled, cancelled.Id) with { Reason = "dockers' strike at Genova" }, Json);
            (await sent.Content.ReadAsStringAsync()).ShouldContain("\"status\":200");
        }));

        var status = await Host.Scenario(s => s.Post.Json(new TravellerStatusRequest(family.BookingReference, family.AccessCode)).ToUrl("/api/traveller/status"));
        var view = (await status.ReadAsJsonAsync<TravellerStatusResponse>())!;
        view.DepartureAt.ShouldBe(next.DepartureAt);
        view.Sailing.SailingId.ShouldBe(next.Id);
        view.History.Single(h => h.What == "rebooked").Text.ShouldContain("Your sailing was cancelled");

        await using var session = App.Store.QuerySession();
        (await session.LoadAsync<Crossing>(couple.CrossingId))!.LeftWithoutSailing.ShouldBeTrue(); // the next one is full
    }

    [Fact]
    public async Task a_departure_embarks_the_checked_in_and_marks_the_rest_no_show_when_the_count_says_so()
    {
        var sailing = await ScheduleSailing();
        var present = await Book(sailing.Id, 2, 1);
        var absent = await Book(sailing.Id, 1, 0);
        await Record("ITGOA", PortStaff("ITGOA"), new CrossingAtPort(present.BookingReference, null, null, null), 200, action: "check-ins");

        await Host.ExecuteAndWaitAsync((Func<Task>)(async () =>
            (await Notify(Notification(NotificationType.SailingDeparted, sailing.Id) with { PersonsOnBoard = 3, VehiclesOnBoard = 1 })).EnsureSuccessStatusCode()));

        await using var session = App.Store.QuerySession();
        (await session.LoadAsync<Crossing>(present.CrossingId))!.Status.ShouldBe(CrossingStatus.Embarked);
        (await session.LoadAsync<Crossing>(absent.CrossingId))!.Status.ShouldBe(CrossingStatus.NoShow);
        var noShow = (await session.Events.FetchStreamAsync(absent.CrossingId)).Select(e => e.Data).OfType<CrossingMarkedNoShow>().Single();
        noShow.RecordedBy.ShouldStartWith("port-authority");
        noShow.WasCheckedIn.ShouldBeFalse();
        (await SailingEvents(sailing.Id)).OfType<SailingDeparted>().Single().PersonsOnBoard.ShouldBe(3);
    }

    [Fact]
    public async Task boarding_and_arrival_send_a_departure_report_and_an_arrival_confirmation_once_each()
    {
        var sailing = await ScheduleSailing();
        var booking = await Book(sailing.Id, 2, 1, new VehicleDetails(VehicleKind.Van, "GE123AB", "I"));
        await Record("ITGOA", PortStaff("ITGOA"), new CrossingAtPort(booking.BookingReference, null, null, null), 200, action: "check-ins");

        foreach (var step in new[] { "boarding", "departure", "arrival" })
            await Host.Scenario(s => { s.WithBearerToken(Planner); s.Post.Json(new { }).ToUrl($"/api/sailings/{sailing.Id}/{step}"); });
        await Host.Scenario(s => { s.WithBearerToken(Planner); s.Post.Json(new { }).ToUrl($"/api/sailings/{sailing.Id}/departure-report"); s.StatusCodeShouldBe(202); });

        await WaitFor(async () => (await App.Authority.StatsAsync()).Deliveries >= 3);
        var stats = await App.Authority.StatsAsync();
        // Two messages; the report sent twice (at boarding, then by hand) under one key, applied once; nothing else repeated.
        (stats.Received, stats.Deliveries, stats.Duplicates).ShouldBe((2, 3, 1));
        var report = (await App.Authority.ReceivedAsync("departure-report")).Single();
        report.IdempotencyKey.ShouldBe($"departure-report:{sailing.Id}");
        report.Deliveries.ShouldBe(2);
        report.Body.GetProperty("persons").GetInt32().ShouldBe(3);
        report.Body.GetProperty("vehiclesByKind").GetProperty("Van").GetInt32().ShouldBe(1);
        report.Body.GetRawText().ShouldNotContain("GE123AB");
        (await App.Authority.ReceivedAsync("arrival-confirmation")).Single().Body.GetProperty("sailingId").GetGuid().ShouldBe(sailing.Id);
    }

    [Fact]
    public async Task the_daily_figures_count_people_and_vehicles_and_name_nobody()
    {
        var sailing = await ScheduleSailing();
        var bookings = new[]
        {
            await Book(sailing.Id, 2, 2, new VehicleDetails(VehicleKind.Car, "AB123CD", "F")),
            await Book(sailing.Id, 1, 0, null)
        };
        ShipLeft(sailing);
        foreach (var b in bookings) await Record("MAPTM", PortStaff("MAPTM"), new CrossingAtPort(b.BookingReference, null, null, null), 200);
        await ProjectionsCaughtUpAsync();

        // The day in Morocco, where the figures are counted (after 23:00 UTC it is already tomorrow there).
        var today = Marhaba.Ports.ReferenceData.Home.LocalDay(App.Clock.GetUtcNow());
        await Host.Scenario(s => { s.WithBearerToken(Token(Roles.Admin)); s.Post.Json(new { day = today }).ToUrl("/api/port-authority/daily-figures"); s.StatusCodeShouldBe(202); });
        await WaitFor(async () => (await App.Authority.ReceivedAsync("daily-figures")).Count == 1);

        var figures = (await App.Authority.ReceivedAsync("daily-figures")).Single().Body;
        var line = figures.GetProperty("ports").EnumerateArray().Single();
        line.GetProperty("port").GetString().ShouldBe("MAPTM");
        line.GetProperty("direction").GetString().ShouldBe("Inbound");
        line.GetProperty("persons").GetInt32().ShouldBe(5);
        line.GetProperty("vehicles").GetInt32().ShouldBe(1);
        var text = figures.GetRawText();
        foreach (var personal in bookings.SelectMany(b => new[] { b.BookingReference, b.AccessCode, b.CrossingId.ToString() }).Append("AB123CD"))
            text.ShouldNotContain(personal);
    }

    [Fact]
    public async Task with_the_authority_down_for_a_while_every_report_arrives_once_after_it_comes_back_and_the_breaker_opens_then_closes()
    {
        var sailings = new List<SailingSummary>();
        for (var i = 0; i < 8; i++) sailings.Add(await ScheduleSailing(departure: App.Clock.GetUtcNow().AddHours(3 + i)));

        await App.Authority.FaultsAsync(outageSeconds: 8);
        var started = DateTimeOffset.UtcNow;
        foreach (var s in sailings)
            await Host.Scenario(x => { x.WithBearerToken(Planner); x.Post.Json(new { }).ToUrl($"/api/sailings/{s.Id}/boarding"); });

        var opened = false;
        for (var i = 0; i < 40 && !opened; i++)
        {
            await Task.Delay(200);
            opened = await Circuit() == "Open";
        }
        opened.ShouldBeTrue("the breaker stops calling an authority that is down");

        await WaitFor(async () => (await App.Authority.StatsAsync()).Received == sailings.Count, seconds: 120);
        var stats = await App.Authority.StatsAsync();
        output.WriteLine($"outage 8 s: {sailings.Count} reports sent, {stats.Received} received, {stats.Deliveries} deliveries, {stats.Duplicates} repeated deliveries, all in {(DateTimeOffset.UtcNow - started).TotalSeconds:0.0} s");
        stats.Received.ShouldBe(sailings.Count);
        stats.Duplicates.ShouldBe(0, "an authority that was down received nothing twice");
        (await App.Authority.ReceivedAsync("departure-report")).Select(r => r.IdempotencyKey).Order()
            .ShouldBe(sailings.Select(s => $"departure-report:{s.Id}").Order());
        await WaitFor(async () => await Circuit() == "Closed", seconds: 30);
    }

    [Fact]
    public async Task a_report_the_authority_refuses_lands_in_the_dead_letters_and_can_be_replayed()
    {
        var sailing = await ScheduleSailing();
        await App.Authority.FaultsAsync(errorRate: 0); // healthy, but it will refuse what it cannot read
        await Host.ExecuteAndWaitAsync((Func<Task>)(async () => await Host.Scenario(s =>
        {
            s.WithBearerToken(Planner);
            s.Post.Json(new { }).ToUrl($"/api/sailings/{Guid.NewGuid()}/departure-report");
            s.StatusCodeShouldBe(404);
        })));

        // A message for a sailing that no longer exists is a poison message: no retry helps.
        using var scope = Host.Services.CreateScope();
        var bus = scope.ServiceProvider.GetRequiredService<Wolverine.IMessageBus>();
        await Host.TrackActivity().DoNotAssertOnExceptionsDetected()
            .ExecuteAndWaitAsync((Func<IMessageContext, Task>)(_ => bus.PublishAsync(new SendDepartureReport(Guid.NewGuid())).AsTask()));
        var dead = await Host.Scenario(s =>
        {
            s.WithBearerToken(Token(Roles.Admin));
            s.Post.Json(new { limit = 10 }).ToUrl("/dead-letters/");
        });
        var text = await dead.ReadAsTextAsync();
        text.ShouldContain("SendDepartureReport");
        text.ShouldContain("AuthorityRejectedMessageException");

        using var doc = JsonDocument.Parse(text);
        var id = doc.RootElement[0].GetProperty("envelopes")[0].GetProperty("id").GetGuid();
        await Host.Scenario(s =>
        {
            s.WithBearerToken(Token(Roles.Admin));
            s.Post.Json(new { ids = new[] { id } }).ToUrl("/dead-letters/replay");
            s.StatusCodeShouldBeOk();
        });
        await Host.Scenario(s => { s.WithBearerToken(Planner); s.Post.Json(new { limit = 10 }).ToUrl("/dead-letters/"); s.StatusCodeShouldBe(403); });
    }

    private async Task<string> Circuit()
    {
        var result = await Host.Scenario(s => { s.WithBearerToken(Token(Roles.Admin)); s.Get.Url("/api/port-authority/link"); });
        return (await result.ReadAsJsonAsync<LinkState>())!.Circuit;
    }
}
