using Microsoft.AspNetCore.Components;

namespace Marhaba.Pages;

/// <summary>
/// A page that, while open in a browser, re-reads its projections every few seconds and pushes what changed
/// (Blazor's interactive server rendering). Reading projections, not a node's memory, keeps it true on any node.
/// </summary>
public abstract class LivePage : ComponentBase, IDisposable
{
    public static readonly TimeSpan Refresh = TimeSpan.FromSeconds(3);
    private readonly CancellationTokenSource _closed = new();

    /// <summary>Cancelled when the browser leaves the page.</summary>
    protected CancellationToken Closed => _closed.Token;

    protected abstract Task ReadAsync();

    protected async Task ReadAndShowAsync()
    {
        await ReadAsync();
        StateHasChanged();
    }

    protected override void OnAfterRender(bool firstRender)
    {
        if (firstRender && RendererInfo.IsInteractive) _ = KeepUpToDateAsync();
    }

    private async Task KeepUpToDateAsync()
    {
        using var timer = new PeriodicTimer(Refresh);
        try
        {
            while (await timer.WaitForNextTickAsync(_closed.Token)) await InvokeAsync(ReadAndShowAsync);
        }
        catch (OperationCanceledException) { }
    }

    public void Dispose()
    {
        _closed.Cancel();
        _closed.Dispose();
        GC.SuppressFinalize(this);
    }
}
