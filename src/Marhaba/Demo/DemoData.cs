namespace Marhaba.Demo;
public sealed class DemoData : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => Task.CompletedTask;
}
