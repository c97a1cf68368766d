using JasperFx.CommandLine;

namespace Marhaba.Hosting;

public enum LocalDbAction { status, start, stop }

public class LocalDbInput
{
    [Description("status, start or stop")]
    public LocalDbAction Action { get; set; } = LocalDbAction.status;
}

[Description("Starts, stops or reports the private PostgreSQL cluster of this working tree", Name = "local-db")]
public class LocalDbCommand : JasperFxAsyncCommand<LocalDbInput>
{
    public override async Task<bool> Execute(LocalDbInput input)
    {
        var cluster = EmbeddedPostgres.ForWorkingTree();
        switch (input.Action)
        {
            case LocalDbAction.start:
                var connection = await cluster.EnsureStartedAsync("marhaba");
                Console.WriteLine($"running: {connection}");
                break;
            case LocalDbAction.stop:
                await cluster.StopAsync();
                Console.WriteLine("stopped");
                break;
            default:
                var running = await cluster.IsRunningAsync();
                Console.WriteLine($"{(running ? "running" : "stopped")}: data in {cluster.DataDirectory}" +
                                  (running ? $", listening on 127.0.0.1:{cluster.Port}" : ""));
                break;
        }
        return true;
    }
}
