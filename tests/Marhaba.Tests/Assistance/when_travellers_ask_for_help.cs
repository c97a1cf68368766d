using Microsoft.Extensions.DependencyInjection;
using Alba;
using JasperFx.Events.Daemon;
using Marhaba.Assistance;
using Marhaba.Crossings;
using Marhaba.Hosting;
using Marhaba.Sailings;
using Marten;
using Marten.Events;
using Wolverine.Tracking;

namespace Marhaba.Tests.Assistance;

public class when_travellers_ask_for_help(AppFixture app) : Scenario(app)
{
    protected string Agent(string place = "MAPTM") => Token(Roles.Agent, place);

    protected async Task<AssistanceRequestOpenedResponse> Open(OpenAssistanceRequest request)
    {
        var result = await Host.Scenario(s =>
        {
            s.Post.Json(request).ToUrl("/api/traveller/assistance");
            s.StatusCodeShouldBe(201);
        });
        return (await result.ReadAsJsonAsync<AssistanceRequestOpenedResponse>())!;
    }

    protected Task<IScenarioResult> Act(Guid requestId, string action, object? body, string token, int status = 200) =>
        Host.Scenario(s =>
        {
            s.WithBearerToken(token);
            s.Post.Json(body ?? new { }).ToUrl($"/api/assistance/{requestId}/{action}");
            s.StatusCodeShouldBe(status);
        });

    protected async Task<TravellerRequestsView> Follow(string reference, string code, Language? language = null, string? acceptLanguage = null)
    {
        var result = await Host.Scenario(s =>
        {
            if (acceptLanguage is not null) s.WithRequestHeader("Accept-Language", acceptLanguage);
            s.Post.Json(new TravellerKey(reference, code, language)).ToUrl("/api/traveller/requests");
            s.StatusCodeShouldBe(200);
        });
        return (await result.ReadAsJsonAsync<TravellerRequestsView>())!;
    }

    protected async Task<List<object>> Events(Guid requestId)
    {
        await using var session = App.Store.QuerySession();
        return (await session.Events.FetchStreamAsync(requestId)).Select(e => e.Data).ToList();
    }

    [Fact]
    public async Task two_agents_writing_notes_on_one_request_at_the_same_moment_both_keep_their_note()
    {
        var (booking, _) = await BookedAndSailed();
        await Record("MAPTM", PortStaff("MAPTM"), new CrossingAtPort(booking.BookingReference, null, null, null), 200);
        var opened = await Open(new OpenAssistanceRequest(booking.BookingReference, booking.AccessCode, AssistanceCategory.Medical,
            Urgency.Normal, null, "My father needs his medicine from the car", Language.fr, ContactChannel.Phone, new ContactDetails("Samir", "+33 6 98 76 54 32", null)));

        // Each from their own board, through Wolverine as the page sends it: the second to commit meets the first's note
        // on the stream, and runs again on the request as it now is.
        static System.Security.Claims.ClaimsPrincipal AgentAt(string name, string place) => new(new System.Security.Claims.ClaimsIdentity(
            [new(Claims.Subject, name), new(Claims.Role, Roles.Agent), new(Claims.Port, place)], "test", Claims.Subject, Claims.Role));
        var outcomes = await Task.WhenAll(Enumerable.Range(1, 4).Select(async i =>
        {
            using var scope = Host.Services.CreateScope();
            var bus = scope.ServiceProvider.GetRequiredService<Wolverine.IMessageBus>();
            return await bus.InvokeAsync<AgentActionOutcome>(new ActOnAssistanceRequest(opened.RequestId,
                new AddNote($"note {i}", false), AgentAt($"agent-{i}", "MAPTM")));
        }));

        outcomes.ShouldAllBe(o => o.Changed != null && o.Refused == null);
        (await Events(opened.RequestId)).OfType<AssistanceNoteAdded>().Select(n => n.By).Order().ShouldBe(["agent-1", "agent-2", "agent-3", "agent-4"]);
    }

    [Fact]
    public async Task a_traveller_arrived_at_tanger_med_follows_a_breakdown_to_resolution_in_arabic()
    {
        var (booking, _) = await BookedAndSailed();
        await Record("MAPTM", PortStaff("MAPTM"), new CrossingAtPort(booking.BookingReference, null, null, null), 200);
        var opened = await Open(new OpenAssistanceRequest(booking.BookingReference, booking.AccessCode, AssistanceCategory.VehicleBreakdown,
            Urgency.High, null, "The car does not start after unloading", Language.ar, ContactChannel.WhatsApp, new ContactDetails("Karim", "+33 6 12 34 56 78", null)));
        opened.Place.ShouldBe("MAPTM"); // where the crossing stands
        opened.AccessCode.ShouldBeNull(); // followed with the booking's own code

        var view = await Follow(booking.BookingReference, booking.AccessCode);
        view.Language.ShouldBe(Language.ar);
        view.Direction.ShouldBe("rtl");
        view.Requests.Single().StatusText.ShouldBe("تم الاستلام");
        view.Requests.Single().Category.ShouldBe("عطل في المركبة");

        await Act(opened.RequestId, "acknowledge", null, Agent());
        await Act(opened.RequestId, "assign", new AssignRequest(null), Agent());
        await Act(opened.RequestId, "notes", new AddNote("A mechanic is on his way to lane 4", true), Agent());
        await Act(opened.RequestId, "notes", new AddNote("Internal: partner garage called", false), Agent());
        await Act(opened.RequestId, "resolve", new ResolveRequest(AssistanceOutcome.Solved, "Battery replaced"), Agent());

        var done = (await Follow(booking.BookingReference, booking.AccessCode)).Requests.Single();
        done.Status.ShouldBe(AssistanceStatus.Resolved);
        done.StatusText.ShouldBe("تمت المعالجة");
        done.HandledBy.ShouldBe("أحد أعوان المؤسسة في Tanger Med");
        done.Message.ShouldStartWith("تمت معالجة طلبكم: تم حل المشكل");
        done.Notes.Select(n => n.Text).ShouldBe(["A mechanic is on his way to lane 4", "Battery replaced"]);

        // Nothing personal went into the events.
        var events = await Events(opened.RequestId);
        System.Text.Json.JsonSerializer.Serialize(events.Select(e => (object)e)).ShouldNotContain("Karim");
        System.Text.Json.JsonSerializer.Serialize(events.Select(e => (object)e)).ShouldNotContain("12 34 56");
        System.Text.Json.JsonSerializer.Serialize(events.Select(e => (object)e)).ShouldNotContain("does not start");

        // Not fixed after all: reopened by the traveller, resolved again, closed.
        await Host.Scenario(s =>
        {
            s.Post.Json(new TravellerRequestAction(booking.BookingReference, booking.AccessCode)).ToUrl($"/api/traveller/requests/{opened.Reference}/reopen");
            s.StatusCodeShouldBe(200);
        });
        await Act(opened.RequestId, "resolve", new ResolveRequest(AssistanceOutcome.ReferredToPartner, null), Agent());
        await Act(opened.RequestId, "close", null, Agent());
        (await Follow(booking.BookingReference, booking.AccessCode)).Requests.Single().Status.ShouldBe(AssistanceStatus.Closed);
    }

    [Theory]
    [InlineData(Language.ar, "تم الاستلام", "طبية")]
    [InlineData(Language.fr, "Reçue", "Médical")]
    [InlineData(Language.it, "Ricevuta", "Medica")]
    [InlineData(Language.en, "Received", "Medical")]
    public async Task the_traveller_reads_the_status_in_their_language(Language language, string status, string category)
    {
        var opened = await Open(new OpenAssistanceRequest(null, null, AssistanceCategory.Medical, Urgency.Normal, "ITGOA", "Insulin forgotten", Language.en, null, null));
        var view = (await Follow(opened.Reference, opened.AccessCode!, language)).Requests.Single();
        view.StatusText.ShouldBe(status);
        view.Category.ShouldBe(category);
    }

    [Fact]
    public async Task without_a_language_the_accept_language_header_chooses()
    {
        var opened = await Open(new OpenAssistanceRequest(null, null, AssistanceCategory.Information, null, "FRSET", "Horaires ?", Language.en, null, null));
        (await Follow(opened.Reference, opened.AccessCode!, acceptLanguage: "it-IT,it;q=0.9,fr;q=0.5")).Language.ShouldBe(Language.it);
        (await Follow(opened.Reference, opened.AccessCode!, acceptLanguage: "de-DE")).Language.ShouldBe(Language.en); // the request's own
    }

    [Fact]
    public async Task a_traveller_writing_from_an_arabic_browser_has_the_request_kept_in_arabic()
    {
        var result = await Host.Scenario(s =>
        {
            s.WithRequestHeader("Accept-Language", "ar-MA,ar;q=0.9,fr;q=0.6");
            s.Post.Json(new OpenAssistanceRequest(null, null, AssistanceCategory.LostDocuments, null, "MAPTM", "ضاع جواز سفري", null, null, null)).ToUrl("/api/traveller/assistance");
            s.StatusCodeShouldBe(201);
        });
        var opened = (await result.ReadAsJsonAsync<AssistanceRequestOpenedResponse>())!;

        // Agents see the language the traveller used...
        var details = await Host.Scenario(s => { s.WithBearerToken(Agent()); s.Get.Url($"/api/assistance/{opened.RequestId}"); });
        (await details.ReadAsJsonAsync<AssistanceRequestDetails>())!.Request.Language.ShouldBe(Language.ar);
        // ...and the traveller's later views, from a browser that says nothing, stay in Arabic, right to left.
        var view = await Follow(opened.Reference, opened.AccessCode!);
        view.Language.ShouldBe(Language.ar);
        view.Direction.ShouldBe("rtl");
    }

    [Fact]
    public async Task a_traveller_cancels_their_own_open_request_and_the_board_no_longer_waits_for_it()
    {
        var opened = await Open(new OpenAssistanceRequest(null, null, AssistanceCategory.Information, null, "MANDR", "Found my way, thanks", Language.fr, null, null));
        await Host.Scenario(s =>
        {
            s.Post.Json(new TravellerRequestAction(opened.Reference, opened.AccessCode)).ToUrl($"/api/traveller/requests/{opened.Reference}/cancel");
            s.StatusCodeShouldBe(200);
        });
        (await Follow(opened.Reference, opened.AccessCode!)).Requests.Single().Status.ShouldBe(AssistanceStatus.Cancelled);
        (await Events(opened.RequestId)).Last().ShouldBeOfType<AssistanceRequestCancelled>();
        // Cancelled once: a second cancel is refused, an agent cannot acknowledge it any more.
        await Host.Scenario(s =>
        {
            s.Post.Json(new TravellerRequestAction(opened.Reference, opened.AccessCode)).ToUrl($"/api/traveller/requests/{opened.Reference}/cancel");
            s.StatusCodeShouldBe(409);
        });
        await Act(opened.RequestId, "acknowledge", null, Agent("MANDR"), 409);
    }

    [Fact]
    public async Task walk_up_requests_are_bounded_per_place_and_hour_and_an_agent_closes_one_as_abuse()
    {
        await using var node = await App.StartNodeAsync(("Travellers:WalkUpRequestsPerPlacePerHour", "3"), ("Travellers:RequestsPerMinutePerClient", "1000"));
        async Task<IScenarioResult> WalkUp(string place, int status, OpenAssistanceRequest? request = null) => await node.Scenario(s =>
        {
            s.Post.Json(request ?? new OpenAssistanceRequest(null, null, AssistanceCategory.Information, null, place, "Where is the exit?", Language.fr, null, null))
                .ToUrl("/api/traveller/assistance");
            s.StatusCodeShouldBe(status);
        });

        var first = (await (await WalkUp("MAPTM", 201)).ReadAsJsonAsync<AssistanceRequestOpenedResponse>())!;
        await WalkUp("MAPTM", 201);
        await WalkUp("MAPTM", 201);
        (await (await WalkUp("MAPTM", 429)).ReadAsTextAsync()).ShouldContain("080 000 23 23");
        // Another place, a traveller with a booking, the next hour: still heard.
        await WalkUp("MANDR", 201);
        var (booking, _) = await Booked();
        await WalkUp("MAPTM", 201, new OpenAssistanceRequest(booking.BookingReference, booking.AccessCode, AssistanceCategory.Medical, null, "MAPTM", "Fever", Language.fr, null, null));
        App.Clock.SetUtcNow(App.Clock.GetUtcNow().AddHours(1));
        await WalkUp("MAPTM", 201);

        // The agent closes a prank as abuse: off the board, once; a request staff opened is never abuse.
        await Act(first.RequestId, "abuse", null, Agent());
        await Act(first.RequestId, "abuse", null, Agent(), 409);
        var board = await Host.Scenario(s => { s.WithBearerToken(Agent()); s.Get.Url("/api/assistance/board"); });
        (await board.ReadAsJsonAsync<AssistanceBoardView>())!.Open.ShouldNotContain(l => l.RequestId == first.RequestId);
        (await Events(first.RequestId)).Last().ShouldBeOfType<AssistanceRequestMarkedAbusive>();
        var staffOpened = await Host.Scenario(s =>
        {
            s.WithBearerToken(Agent());
            s.Post.Json(new OpenAssistanceRequest(null, null, AssistanceCategory.Information, null, "MAPTM", "Phone call", Language.fr, null, null)).ToUrl("/api/assistance");
            s.StatusCodeShouldBe(201);
        });
        await Act((await staffOpened.ReadAsJsonAsync<AssistanceRequestOpenedResponse>())!.RequestId, "abuse", null, Agent(), 409);
    }

    [Fact]
    public async Task another_travellers_code_reveals_nothing()
    {
        var mine = await Open(new OpenAssistanceRequest(null, null, AssistanceCategory.LostDocuments, null, "MAPTM", "Passport lost on board", Language.fr, null, null));
        var theirs = await Open(new OpenAssistanceRequest(null, null, AssistanceCategory.LostDocuments, null, "MAPTM", "Papers", Language.fr, null, null));

        var wrong = await Host.Scenario(s =>
        {
            s.Post.Json(new TravellerKey(mine.Reference, theirs.AccessCode, null)).ToUrl("/api/traveller/requests");
            s.StatusCodeShouldBe(404);
        });
        var unknown = await Host.Scenario(s =>
        {
            s.Post.Json(new TravellerKey("AST-AAAAAAAAAA", theirs.AccessCode, null)).ToUrl("/api/traveller/requests");
            s.StatusCodeShouldBe(404);
        });
        (await wrong.ReadAsJsonAsync<Microsoft.AspNetCore.Mvc.ProblemDetails>())!.Detail
            .ShouldBe((await unknown.ReadAsJsonAsync<Microsoft.AspNetCore.Mvc.ProblemDetails>())!.Detail);

        await Host.Scenario(s =>
        {
            s.Post.Json(new TravellerRequestAction(theirs.Reference, theirs.AccessCode)).ToUrl($"/api/traveller/requests/{mine.Reference}/cancel");
            s.StatusCodeShouldBe(404);
        });
    }

    [Fact]
    public async Task agents_act_only_within_their_places_and_illegal_steps_are_refused()
    {
        var opened = await Open(new OpenAssistanceRequest(null, null, AssistanceCategory.SocialOrFamily, null, "MAPTM", "Elderly mother alone", Language.fr, null, null));
        (await (await Act(opened.RequestId, "acknowledge", null, Agent("MANDR"), 403)).ReadAsTextAsync()).ShouldContain("handled at MAPTM");
        await Act(opened.RequestId, "acknowledge", null, PortStaff("MAPTM"), 403); // port staff are not agents

        await Act(opened.RequestId, "acknowledge", null, Agent());
        (await (await Act(opened.RequestId, "acknowledge", null, Agent(), 409)).ReadAsTextAsync()).ShouldContain("acknowledged once");
        await Act(opened.RequestId, "close", null, Agent(), 409);
        await Act(opened.RequestId, "resolve", new ResolveRequest(null, null), Agent(), 400);

        // Transferred to Nador: now Nador's, no longer Tanger Med's.
        await Act(opened.RequestId, "transfer", new TransferRequest("MANDR"), Agent());
        await Act(opened.RequestId, "resolve", new ResolveRequest(AssistanceOutcome.Solved, null), Agent(), 403);
        await Act(opened.RequestId, "resolve", new ResolveRequest(AssistanceOutcome.Solved, null), Agent("MANDR"));
        await Act(opened.RequestId, "resolve", new ResolveRequest(AssistanceOutcome.Solved, null), Agent("MANDR"), 409);
    }

    [Fact]
    public async Task an_unacknowledged_critical_medical_request_escalates_when_its_limit_passes()
    {
        var opened = default(AssistanceRequestOpenedResponse);
        var tracked = await Host.ExecuteAndWaitAsync((Func<Task>)(async () => opened = await Open(new OpenAssistanceRequest(
            null, null, AssistanceCategory.Medical, Urgency.Critical, "MAPTM", "Chest pain in the queue", Language.fr, ContactChannel.InPerson, null))));

        // The deadlines are stored as durable scheduled messages: acknowledge within 2 minutes, resolve within 1 hour.
        var checks = tracked.Scheduled.MessagesOf<CheckAssistanceTimeLimit>().ToList();
        checks.Single(c => c.Limit == TimeLimit.Acknowledge).Deadline.ShouldBe(opened!.AcknowledgeBy);
        (opened.AcknowledgeBy - App.Clock.GetUtcNow()).ShouldBe(TimeSpan.FromMinutes(2));

        App.Clock.SetUtcNow(App.Clock.GetUtcNow().AddMinutes(3));
        var played = await tracked.PlayScheduledMessagesAsync(TimeSpan.FromSeconds(10));
        played.Executed.MessagesOf<CheckAssistanceTimeLimit>().Count().ShouldBe(2);

        var escalations = (await Events(opened.RequestId)).OfType<AssistanceRequestEscalated>().ToList();
        escalations.Single().Limit.ShouldBe(TimeLimit.Acknowledge);

        var board = await Host.Scenario(s => { s.WithBearerToken(Agent()); s.Get.Url("/api/assistance/board"); });
        var view = (await board.ReadAsJsonAsync<AssistanceBoardView>())!;
        view.Overdue.ShouldBe(1);
        view.Open.First().Escalations.ShouldBe([TimeLimit.Acknowledge]);
        (await Follow(opened.Reference, opened.AccessCode!, Language.fr)).Requests.Single().Message.ShouldContain("responsable");
    }

    [Fact]
    public async Task an_agent_escalates_a_normal_request_twice_its_limits_tighten_from_now_and_the_new_deadline_escalates_when_missed()
    {
        var opened = await Open(new OpenAssistanceRequest(null, null, AssistanceCategory.VehicleBreakdown, null, "MAPTM", "Car stuck on the ramp", Language.fr, null, null));
        opened.ResolveBy.ShouldBe(App.Clock.GetUtcNow().AddHours(48));
        App.Clock.SetUtcNow(App.Clock.GetUtcNow().AddMinutes(10));
        var now = App.Clock.GetUtcNow();

        // Normal → High: acknowledge within 15 minutes from now (sooner than the hour it had), resolve within 8 hours.
        var tracked = await Host.ExecuteAndWaitAsync((Func<Task>)(() => Act(opened.RequestId, "escalate", null, Agent())));
        var raised = (await Events(opened.RequestId)).OfType<AssistanceUrgencyRaised>().Single();
        (raised.From, raised.To, raised.AcknowledgeBy, raised.ResolveBy).ShouldBe((Urgency.Normal, Urgency.High, now.AddMinutes(15), now.AddHours(8)));
        tracked.Scheduled.MessagesOf<CheckAssistanceTimeLimit>().Select(c => c.Deadline).Order().ShouldBe([now.AddMinutes(15), now.AddHours(8)]);

        // High → Critical; then nothing higher, and other places' agents may not.
        await Act(opened.RequestId, "escalate", null, Agent("MANDR"), 403);
        var critical = await Host.ExecuteAndWaitAsync((Func<Task>)(() => Act(opened.RequestId, "escalate", null, Agent())));
        var problem = await Act(opened.RequestId, "escalate", null, Agent(), 409);
        (await problem.ReadAsTextAsync()).ShouldContain("already critical");

        // The critical limit (5 minutes) passes unmet: the request escalates, once.
        App.Clock.SetUtcNow(now.AddMinutes(6));
        var played = await critical.PlayScheduledMessagesAsync(TimeSpan.FromSeconds(10));
        played.Executed.MessagesOf<CheckAssistanceTimeLimit>().Count().ShouldBe(2);
        (await Events(opened.RequestId)).OfType<AssistanceRequestEscalated>().Single().Limit.ShouldBe(TimeLimit.Acknowledge);

        await Act(opened.RequestId, "resolve", new ResolveRequest(AssistanceOutcome.Solved, null), Agent());
        await Act(opened.RequestId, "escalate", null, Agent(), 409);
    }

    [Fact]
    public async Task a_request_acknowledged_in_time_does_not_escalate()
    {
        var opened = default(AssistanceRequestOpenedResponse);
        var tracked = await Host.ExecuteAndWaitAsync((Func<Task>)(async () => opened = await Open(new OpenAssistanceRequest(
            null, null, AssistanceCategory.Medical, Urgency.Critical, "MAPTM", "Child with fever", Language.fr, null, null))));

        App.Clock.SetUtcNow(App.Clock.GetUtcNow().AddMinutes(1));
        await Act(opened!.RequestId, "acknowledge", null, Agent());
        App.Clock.SetUtcNow(App.Clock.GetUtcNow().AddMinutes(5));
        var played = await tracked.PlayScheduledMessagesAsync(TimeSpan.FromSeconds(10));
        played.Executed.MessagesOf<CheckAssistanceTimeLimit>().Count().ShouldBe(2);

        (await Events(opened.RequestId)).OfType<AssistanceRequestEscalated>().ShouldBeEmpty();
    }

    [Fact]
    public async Task the_board_gives_median_and_90th_percentile_times_per_category_and_place()
    {
        // Midday at the port: the half hour of the scenario stays within one local day, whatever the hour of the run.
        var start = new DateTimeOffset(App.Clock.GetUtcNow().UtcDateTime.Date.AddHours(11), TimeSpan.Zero);
        App.Clock.SetUtcNow(start);
        var requests = new List<AssistanceRequestOpenedResponse>();
        for (var i = 0; i < 5; i++)
            requests.Add(await Open(new OpenAssistanceRequest(null, null, AssistanceCategory.AdministrativeAndCustoms, null, "MAPTM", "Customs form", Language.fr, null, null)));
        var other = await Open(new OpenAssistanceRequest(null, null, AssistanceCategory.AdministrativeAndCustoms, null, "MANDR", "Customs form", Language.fr, null, null));

        // Acknowledged after 2, 4, 6, 8 and 20 minutes: median 6, 90th percentile 20.
        foreach (var (request, minutes) in requests.Zip([2, 4, 6, 8, 20]))
        {
            App.Clock.SetUtcNow(start.AddMinutes(minutes));
            await Act(request.RequestId, "acknowledge", null, Agent());
        }
        App.Clock.SetUtcNow(start.AddMinutes(30));
        await Act(requests[0].RequestId, "resolve", new ResolveRequest(AssistanceOutcome.Solved, null), Agent());
        await Act(other.RequestId, "acknowledge", null, Agent("MANDR"));
        await ProjectionsCaughtUpAsync();

        var result = await Host.Scenario(s => { s.WithBearerToken(Agent()); s.Get.Url("/api/assistance/board"); });
        var board = (await result.ReadAsJsonAsync<AssistanceBoardView>())!;
        var line = board.Times.Single(); // the Nador request is not this agent's
        line.Place.ShouldBe("MAPTM");
        line.AcknowledgeToday.ShouldBe(new Durations(5, 6, 20));
        line.AcknowledgeSeason.Count.ShouldBe(5);
        line.ResolveToday.ShouldBe(new Durations(1, 30, 30));
        board.Open.Count.ShouldBe(4);
        board.OpenByPlace.ShouldBe(new Dictionary<string, int> { ["MAPTM"] = 4 });

        var queue = await Host.Scenario(s => { s.WithBearerToken(Agent("MANDR")); s.Get.Url("/api/assistance/queue"); });
        (await queue.ReadAsJsonAsync<List<OpenRequestLine>>())!.Single().RequestId.ShouldBe(other.RequestId);
    }

    [Fact]
    public void time_limits_follow_urgency_and_category()
    {
        TimeLimits.For(AssistanceCategory.Medical, Urgency.Critical).ShouldBe((TimeSpan.FromMinutes(2), TimeSpan.FromHours(1)));
        TimeLimits.For(AssistanceCategory.Medical, Urgency.Normal).ShouldBe((TimeSpan.FromMinutes(30), TimeSpan.FromHours(48)));
        TimeLimits.For(AssistanceCategory.VehicleBreakdown, Urgency.High).ShouldBe((TimeSpan.FromMinutes(15), TimeSpan.FromHours(8)));
        TimeLimits.For(AssistanceCategory.DeathAndRepatriation, Urgency.High).ShouldBe((TimeSpan.FromMinutes(15), TimeSpan.FromHours(72)));
    }
}
