using System.Diagnostics;
using Marten;
using Marten.Services;

namespace Marhaba.Hosting;

/// <summary>
/// A crash drill for Development: the process kills itself (SIGKILL) right after committing the command sent
/// with the Idempotency-Key named by <c>Faults:CrashAfterCommitOf</c>, before any answer leaves it — the
/// moment a client is left not knowing whether its request was carried out.
/// </summary>
public sealed class CrashDrill(string key) : DocumentSessionListenerBase
{
    public const string Setting = "Faults:CrashAfterCommitOf";
    private static readonly HttpContextAccessor Http = new();

    public static void AddTo(IServiceCollection services, IConfiguration configuration, IHostEnvironment environment)
    {
        if (!environment.IsDevelopment() || configuration[Setting] is not { Length: > 0 } key) return;
        services.AddHttpContextAccessor(); // the host then keeps the request at hand for the listener
        services.ConfigureMarten(opts => opts.Listeners.Add(new CrashDrill(key)));
    }

    public override Task AfterCommitAsync(IDocumentSession session, IChangeSet commit, CancellationToken token)
    {
        if (Http.HttpContext?.Request.Headers[Idempotency.Header].ToString() == key) Process.GetCurrentProcess().Kill();
        return Task.CompletedTask;
    }
}
