using System.Text.Json.Serialization;
using JasperFx;
using Marhaba.Crossings;
using Marhaba.Demo;
using Marhaba.Hosting;
using Marhaba.Notices;
using Marhaba.Planning;
using Marhaba.Privacy;
using Marhaba.PortAuthorities;
using Marhaba.Sailings;
using JasperFx.Core;
using Wolverine.ErrorHandling;
using Marten;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using OpenTelemetry.Trace;
using Scalar.AspNetCore;
using Wolverine;
using Wolverine.Http;
using Wolverine.Marten;


var builder = WebApplication.CreateBuilder(args);
// Every log line carries the request's trace id; outside Development as one JSON object a line, for the log shipper.
builder.Logging.Configure(o => o.ActivityTrackingOptions = ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId);
if (!builder.Environment.IsDevelopment()) builder.Logging.AddJsonConsole(o => { o.IncludeScopes = true; o.UseUtcTimestamp = true; o.TimestampFormat = "O"; });
// The pages' scripts come from the build's static web assets in every environment (from the published files once published).
builder.WebHost.UseStaticWebAssets();
// No body larger than the guard inspects is read, with a length or chunked (JsonBodyGuard answers 413 before any other work).
builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = JsonBodyGuard.MaxInspected + 1);
Telemetry.ListenOnManagementPort(builder.WebHost, builder.Configuration);

if (Database.MissingSettings(builder.Configuration, builder.Environment, args) is { } missing)
{
    Console.Error.WriteLine(missing);
    return 2;
}

// Database: a configured PostgreSQL, or in Development the private embedded cluster (not started for local-db, which manages it).
var (connectionString, embedded) = await Database.ResolveAsync(builder.Configuration, startEmbedded: args.FirstOrDefault() != "local-db");
builder.Services.AddSingleton(SimulatedClock.From(builder.Configuration) ?? OffsetClock.From(builder.Configuration));
// Nothing is acknowledged that the primary alone holds: what synchronous replication promises, checked where a commit's wait was cut short.
var replication = new Replication(Database.Tuned(connectionString));
builder.Services.AddSingleton(replication);

// Event store, documents, projections. Wolverine's elected leader spreads the asynchronous projections over the
// running nodes, each on exactly one, and moves those of a node that is gone.
// One pool of connections for the store, Wolverine's inbox and outbox, and the platform's own tables.
builder.Services.AddSingleton(_ => Database.DataSource(connectionString));
builder.Services.AddMarten(opts =>
    {
        Database.ConfigureMarten(opts);
        opts.Listeners.Add(new CommitsHeldByStandby(replication));
    })
    .UseNpgsqlDataSource()
    .UseLightweightSessions()
    // Schema changes at start-up, not lazily under the first burst of requests (which would queue on them).
    .ApplyAllDatabaseChangesOnStartup()
    .IntegrateWithWolverine(w => w.UseWolverineManagedEventSubscriptionDistribution = true)
    // A traveller recorded at the arrival port is welcomed: relayed from the event store, off the arrivals' own
    // transactions (the busiest writes); the subscription resumes from its recorded progress, so none is missed.
    .PublishEventsToWolverine(TellTraveller.WelcomeSubscription, relay =>
    {
        relay.PublishEvent<CrossingArrived>((e, bus) => bus.PublishAsync(new TellTraveller(e.StreamId)));
        relay.Options.SubscribeFromPresent();
    });
// After the schema, before the daemon: see CrossingViewsStart.
builder.Services.AddHostedService<CrossingViewsStart>();
builder.Services.AddHostedService<PortDayIds>();
CrashDrill.AddTo(builder.Services, builder.Configuration, builder.Environment);

// Commands and HTTP endpoints; state changes commit with their outgoing messages (durable outbox).
builder.Host.UseWolverine(opts =>
{
    opts.ApplicationAssembly = typeof(Program).Assembly;
    opts.Policies.AutoApplyTransactions();
    opts.Policies.UseDurableLocalQueues();
    opts.Policies.UseDurableOutboxOnAllSendingEndpoints();
    opts.AddNotices();
    // A node silent for 15 s is taken as gone: the leader moves its projections and jobs, the others take over its
    // messages. Long enough to ride out a database failover (about 11 s without a primary at worst).
    opts.Durability.HealthCheckPollingTime = 3.Seconds();
    opts.Durability.StaleNodeTimeout = 15.Seconds();
    // Scheduled messages (retries, deadlines, settled notices) come due within a second, a thousand at a time: a
    // gateway's outage ending releases its backlog at the gateway's pace, not Wolverine's default 100 per 5 s.
    opts.Durability.ScheduledJobPollingTime = 1.Seconds();
    opts.Durability.RecoveryBatchSize = 1000;

    // Two writers met on one stream (two agents on one request, a ship's settlement and a desk's arrival): the message
    // that lost runs again on the stream as the other left it, and its rule decides anew. Commands sent over HTTP answer
    // 409 instead: their caller decides.
    opts.OnException(KnownExceptionHandler.IsConcurrentChange)
        .RetryOnce().Then.RetryWithCooldown(50.Milliseconds(), 250.Milliseconds())
        .Then.MoveToErrorQueue();
    // A message the port authority refuses will not get better by retrying: straight to the dead letters.
    opts.OnException<AuthorityRejectedMessageException>().MoveToErrorQueue();
    // An authority that is down: retry later and later (the message waits in PostgreSQL), for about half an hour.
    opts.OnException(PortAuthorityLink.IsTransient)
        .ScheduleRetry(1.Seconds(), 2.Seconds(), 5.Seconds(), 10.Seconds(), 20.Seconds(), 30.Seconds(), 1.Minutes(), 2.Minutes(), 5.Minutes(), 10.Minutes(), 10.Minutes())
        .Then.MoveToErrorQueue();
});
builder.Services.AddWolverineHttp();
var accessCodeKey = System.Text.Encoding.UTF8.GetBytes(Secrets.Resolve(builder.Configuration, TravellerAccess.KeySetting, embedded, "access-code-key"));
builder.Services.AddSingleton(sp => new IdempotencyLog(sp.GetRequiredService<Npgsql.NpgsqlDataSource>(), accessCodeKey));
builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.Converters.Add(new StrictEnumConverter()));

// The Italian port authority: signed notifications in, outbox-delivered messages out through one resilient client.
var authority = builder.Configuration.GetSection(PortAuthorityOptions.Section).Get<PortAuthorityOptions>() ?? new PortAuthorityOptions();
builder.Services.AddPortAuthorityLink(authority);
builder.Services.AddSingleton<SailingConsequences>();
builder.Services.AddNotices(builder.Configuration);
builder.Services.AddSingleton<RecurringJob, DailyFiguresSchedule>();

// Staff authenticate with bearer tokens; every state-changing endpoint names who may call it.
var authOptions = TokenIssuer.ResolveOptions(builder.Configuration, embedded);
builder.Services.AddSingleton(authOptions);
builder.Services.AddSingleton<TokenIssuer>();
// The API takes bearer tokens; the pages a staff cookie, signed in with an account's password.
Marhaba.Staff.StaffSignIn.AddTo(builder.Services,
    builder.Services.AddAuthentication(Marhaba.Staff.StaffSignIn.TokenOrCookie).AddJwtBearer(jwt => TokenIssuer.Configure(jwt, authOptions)));
builder.Services.AddAuthorizationBuilder()
    .AddPolicy(Policies.PortStaff, p => p.RequireRole(Roles.PortStaff, Roles.Admin))
    .AddPolicy(Policies.Booking, p => p.RequireRole(Roles.Operator, Roles.Admin))
    .AddPolicy(Policies.Planner, p => p.RequireRole(Roles.Planner, Roles.Admin))
    .AddPolicy(Policies.Agent, p => p.RequireRole(Roles.Agent, Roles.Admin))
    .AddPolicy(Policies.Helpers, p => p.RequireRole(Roles.Agent, Roles.PortStaff, Roles.Admin))
    .AddPolicy(Policies.Admin, p => p.RequireRole(Roles.Admin))
    .AddPolicy(Policies.Staff, p => p.RequireRole(Roles.All));

// Travellers' references and codes: rate-limited per client ; codes checked against a keyed hash, wrong ones counted per reference and client.
ProxyOptions.AddTo(builder.Services, builder.Configuration);
var travellerLimits = builder.Configuration.GetSection(TravellerLimits.Section).Get<TravellerLimits>() ?? new TravellerLimits();
builder.Services.AddSingleton(sp => new TravellerAccess(accessCodeKey, sp.GetRequiredService<Npgsql.NpgsqlDataSource>(), travellerLimits.WrongCodesPerBookingPerDay));
TravellerLimits.AddTravellerRateLimits(builder.Services, travellerLimits);
builder.Services.AddSingleton(sp => new Marhaba.Assistance.AssistanceLimits(travellerLimits, sp.GetRequiredService<Npgsql.NpgsqlDataSource>()));

// Pages people use, rendered by the server (Razor Components); their cookie keys shared by every node.
builder.Services.AddRazorComponents().AddInteractiveServerComponents();
builder.Services.AddCascadingAuthenticationState();
Marhaba.Staff.PageKeyRepository.AddTo(builder.Services, builder.Configuration, embedded);
if (!builder.Environment.IsDevelopment())
{
    // Outside Development the sign-in cookie travels over HTTPS only (behind a proxy that ends TLS too). The antiforgery
    // cookie follows the request's scheme (HTTPS there): ASP.NET refuses to render a form at all over plain HTTP otherwise.
    builder.Services.PostConfigure<Microsoft.AspNetCore.Authentication.Cookies.CookieAuthenticationOptions>(Marhaba.Staff.StaffSignIn.Scheme,
        o => o.Cookie.SecurePolicy = CookieSecurePolicy.Always);
}

// Errors as problem details; OpenAPI with a docs page; health; metrics (scraped, or pushed with traces where an endpoint is configured).
builder.Services.AddProblemDetails();
builder.Services.AddLocalization();
builder.Services.AddExceptionHandler<KnownExceptionHandler>();
builder.Services.AddOpenApi(o => o.AddDocumentTransformer<OpenApiDocumentTruth>().AddOperationTransformer<OpenApiDocumentTruth>().AddSchemaTransformer<OpenApiDocumentTruth>());
// Ready: this node can take writes that two database servers hold. Reads: it can still answer what it has stored.
builder.Services.AddHealthChecks()
    .AddCheck<DatabaseHealthCheck>("reads", tags: ["ready", "reads"])
    .AddCheck<WritesHealthCheck>("writes", tags: ["ready"]);
Telemetry.AddTo(builder.Services, builder.Configuration);

// Tomorrow's forecasts are kept every hour, to be set against what happened.
builder.Services.AddSingleton<RecurringJob, ForecastRecorder>();

// Personal data: erased on request, and for whole seasons a configurable time after they close.
builder.Services.AddSingleton(builder.Configuration.GetSection(PrivacyOptions.Section).Get<PrivacyOptions>() ?? new PrivacyOptions());
builder.Services.AddSingleton<RecurringJob, SeasonErasure>();

// Stored idempotent answers and wrong-code counts are kept days, not for ever.
builder.Services.AddSingleton<Retention>();
builder.Services.AddSingleton<RecurringJob>(sp => sp.GetRequiredService<Retention>());
// Each node, once started, makes sure every recurring job has its next run scheduled (durably, once in the cluster).
builder.Services.AddHostedService<RecurringJobsStarter>();

// Demo data for the embedded default, on an empty database.
if (builder.Configuration.GetValue("Demo:Seed", false))
{
    builder.Services.AddSingleton(new DemoCredentials(builder.Configuration["Demo:CredentialsFolder"] ?? (embedded is not null ? Path.GetDirectoryName(embedded.DataDirectory)!
        : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "marhaba"))));
    builder.Services.AddHostedService<DemoData>();
}

var app = builder.Build();

// Behind a known proxy, the real client and scheme come from its forwarded headers; from anyone else they are ignored.
app.UseForwardedHeaders();
app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseMiddleware<WritesRunToTheirEnd>();
app.UseMiddleware<SecurityHeadersMiddleware>();
app.UseMiddleware<JsonBodyGuard>();
if (!app.Environment.IsDevelopment())
{
    // Production answers over HTTPS only: HSTS on every HTTPS answer (behind a load balancer, the scheme it forwards),
    // and plain HTTP redirected here unless TLS ends at a configured load balancer, which redirects it itself.
    app.UseHsts();
    if (!ProxyOptions.Configured(app.Configuration)) app.UseHttpsRedirection();
}
app.UseAuthentication();
Marhaba.Pages.PageLanguage.UseFor(app);
app.UseAuthorization();
app.UseRateLimiter();
app.UseAntiforgery();
app.UseMiddleware<EmptyIdGuard>();

app.MapOpenApi().AllowAnonymous();
// No fonts from the vendor's servers (the browser's own): a port's network may reach nothing but the platform.
app.MapScalarApiReference("/docs", o => o.DisableDefaultFonts()).AllowAnonymous();
app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false }).AllowAnonymous();
app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready"), ResponseWriter = HealthAnswer.WriteAsync }).AllowAnonymous();
app.MapHealthChecks("/health/reads", new HealthCheckOptions { Predicate = c => c.Tags.Contains("reads"), ResponseWriter = HealthAnswer.WriteAsync }).AllowAnonymous();
Telemetry.MapTo(app);
app.MapStaticAssets().AllowAnonymous();
app.MapRazorComponents<Marhaba.Pages.App>().AddInteractiveServerRenderMode();
app.MapSimulatedClock();
Marhaba.Staff.PageTokens.MapTo(app);
Marhaba.Pages.LanguageChoice.MapTo(app);
Marhaba.Pages.DeskManifest.MapTo(app);
Marhaba.Pages.DashboardExports.MapTo(app);
app.MapDeadLettersEndpoints().RequireAuthorization(Policies.Admin);
app.MapWolverineEndpoints(opts =>
{
    opts.RequireAuthorizeOnAll();
    opts.RejectUnparseableQueryValues = true;
    // A keyed command's answer commits with its events (Idempotency-Key).
    opts.AddPolicy<Idempotency.Policy>();
    // Generate every endpoint's code at start-up: a wiring mistake stops the start, not a first caller.
    opts.WarmUpRoutes = RouteWarmup.Eager;
});

// Plain start-up runs the host directly; a named command (token, local-db, db-apply, projections…) goes to the command line.
if (args.Length == 0 || args[0].StartsWith('-'))
{
    await app.RunAsync();
    return 0;
}
return await app.RunJasperFxCommands(args);

public partial class Program;
