using System.Diagnostics;
using System.Net.Http.Json;
using Marhaba.Hosting;

namespace Marhaba.Simulator;

/// <summary>
/// A real SMTP server for the scenarios and the benchmark: smtp4dev (the project's .NET tool, .config/dotnet-tools.json), in memory, on
/// loopback ports of its own. What it received is read through its web API, as a person reads its inbox.
/// </summary>
public sealed class LocalMailServer : IAsyncDisposable
{
    public int SmtpPort { get; } = ServerProcess.FreePort();
    private readonly int _webPort = ServerProcess.FreePort();
    private Process? _process;
    public HttpClient Inbox { get; private set; } = null!;

    public record Received(string Id, string From, string[] To, string Subject, DateTimeOffset ReceivedDate);
    private record Page(List<Received> Results);

    public async Task StartAsync()
    {
        var root = EmbeddedPostgres.FindWorkingTreeRoot();
        await RunAsync(root, "tool restore");
        _process = Process.Start(new ProcessStartInfo("dotnet",
            $"tool run smtp4dev -- --urls=http://127.0.0.1:{_webPort} --smtpport={SmtpPort} --bindaddress=127.0.0.1 --imapport=0 --pop3port=0 --messagestokeep=100000 --db=")
        {
            WorkingDirectory = root, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false
        })!;
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        Inbox ??= new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_webPort}") };
        for (var i = 0; ; i++)
        {
            try
            {
                if ((await Inbox.GetAsync("/api/messages")).IsSuccessStatusCode) return;
            }
            catch (HttpRequestException) when (i < 240 && !_process.HasExited) { }
            if (_process.HasExited) throw new InvalidOperationException("smtp4dev stopped at start.");
            await Task.Delay(250);
        }
    }

    public async Task<List<Received>> MessagesToAsync(string address) =>
        (await AllAsync()).Where(m => m.To.Contains(address, StringComparer.OrdinalIgnoreCase)).ToList();

    public async Task<List<Received>> AllAsync() => (await Inbox.GetFromJsonAsync<Page>("/api/messages?pageSize=100000"))!.Results;

    public Task<string> TextAsync(string id) => Inbox.GetStringAsync($"/api/messages/{id}/plaintext");
    public Task<string> HtmlAsync(string id) => Inbox.GetStringAsync($"/api/messages/{id}/html");

    public Task ClearAsync() => Inbox.DeleteAsync("/api/messages/*");

    private static async Task RunAsync(string root, string args)
    {
        using var p = Process.Start(new ProcessStartInfo("dotnet", args) { WorkingDirectory = root, RedirectStandardOutput = true, RedirectStandardError = true })!;
        await p.WaitForExitAsync();
        if (p.ExitCode != 0) throw new InvalidOperationException($"dotnet {args}: {await p.StandardError.ReadToEndAsync()}");
    }

    /// <summary>The mail server goes down (an outage); <see cref="StartAsync"/> brings it back on the same ports, its inbox empty.</summary>
    public async Task StopAsync()
    {
        if (_process is { HasExited: false }) { _process.Kill(entireProcessTree: true); await _process.WaitForExitAsync(); }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        Inbox?.Dispose();
    }
}
