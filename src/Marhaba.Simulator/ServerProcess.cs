using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Marhaba.Simulator;

/// <summary>The Marhaba server in a process of its own, on a loopback port, against the given database.</summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    public Uri Address { get; }

    /// <summary>The API's JSON: web defaults, enums as names.</summary>
    public static readonly System.Text.Json.JsonSerializerOptions Json =
        new(System.Text.Json.JsonSerializerDefaults.Web) { Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() } };

    private ServerProcess(Process process, Uri address) { _process = process; Address = address; }

    /// <summary>The access-code key of every server this process starts (a restarted server still knows the codes it issued).</summary>
    private static readonly string AccessCodeKey = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(48));

    /// <summary>The metrics scraper's token of every server this process starts.</summary>
    public static readonly string ScrapeToken = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

    /// <summary>The server's figures, as Prometheus scrapes them.</summary>
    public async Task<string> MetricsAsync()
    {
        using var client = Client(1);
        client.DefaultRequestHeaders.Authorization = new("Bearer", ScrapeToken);
        return await client.GetStringAsync(Marhaba.Hosting.Telemetry.ScrapePath);
    }

    /// <summary>The certificate that encrypts the pages' keys, shared by every server this process starts.</summary>
    public static readonly string PageKeyCertificate = WritePageKeyCertificate();

    private static string WritePageKeyCertificate()
    {
        var file = Path.Combine(Directory.CreateTempSubdirectory("marhaba-page-keys-").FullName, "page-keys.pfx");
        File.WriteAllBytes(file, Marhaba.Staff.PageKeyRepository.NewCertificate());
        return file;
    }

    /// <param name="settings">More configuration for the server, as environment variables (Section__Key); "{server}" in a value is the server's own address.</param>
    public static async Task<ServerProcess> StartAsync(string connection, string signingKey, IReadOnlyDictionary<string, string>? settings = null)
    {
        var port = FreePort();
        var bin = AppContext.BaseDirectory;
        var start = new ProcessStartInfo("dotnet", $"\"{Path.Combine(bin, "Marhaba.dll")}\" --urls http://127.0.0.1:{port}")
        {
            WorkingDirectory = bin, RedirectStandardOutput = true, RedirectStandardError = true,
            Environment =
            {
                // Configured as in production (no developer exception page, no demo data), but on plain HTTP over loopback.
                ["ASPNETCORE_ENVIRONMENT"] = "Production",
                ["ConnectionStrings__Marhaba"] = connection + ";Maximum Pool Size=100",
                ["Auth__SigningKey"] = signingKey,
                ["Travellers__AccessCodeKey"] = AccessCodeKey,
                ["Pages__KeyCertificate"] = PageKeyCertificate,
                ["Metrics__ScrapeToken"] = ScrapeToken,
                ["Demo__Seed"] = "false",
                ["Logging__LogLevel__Default"] = "Warning",
                ["Travellers__RequestsPerMinutePerClient"] = "1000000",
            }
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string>()) start.Environment[key] = value.Replace("{server}", $"http://127.0.0.1:{port}");
        var process = Process.Start(start)!;
        // Its warnings and errors, kept beside the binaries: what a failed drill had to say.
        var log = TextWriter.Synchronized(new StreamWriter(Path.Combine(bin, $"server-process-{port}.log")) { AutoFlush = true });
        process.OutputDataReceived += (_, line) => { if (line.Data is { } text) log.WriteLine(text); };
        process.ErrorDataReceived += (_, line) => { if (line.Data is { } text) log.WriteLine(text); };
        process.Exited += (_, _) => log.Dispose();
        process.EnableRaisingEvents = true;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new ServerProcess(process, new Uri($"http://127.0.0.1:{port}"));
        using var probe = new HttpClient { BaseAddress = server.Address };
        for (var i = 0; i < 480; i++)
        {
            try { if ((await probe.GetAsync("/health/ready")).IsSuccessStatusCode) return server; }
            catch (HttpRequestException) { }
            if (process.HasExited) throw new InvalidOperationException($"The server exited with code {process.ExitCode}.");
            await Task.Delay(250);
        }
        throw new TimeoutException("The server did not become ready within two minutes.");
    }

    public HttpClient Client(int connections) =>
        new(new SocketsHttpHandler { MaxConnectionsPerServer = connections, PooledConnectionLifetime = TimeSpan.FromMinutes(10) })
        {
            BaseAddress = Address, Timeout = TimeSpan.FromSeconds(60)
        };

    public TimeSpan CpuTime { get { _process.Refresh(); return _process.TotalProcessorTime; } }

    /// <summary>The process's peak resident memory (VmHWM), from /proc.</summary>
    public double PeakRssMegabytes => SeasonIngest.PeakRssMegabytes(_process.Id);

    /// <summary>Ends the process as a crash would (SIGKILL): no graceful shutdown.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_process.HasExited) return;
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
