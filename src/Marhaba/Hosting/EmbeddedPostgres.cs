using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Marhaba.Hosting;

/// <summary>
/// The private PostgreSQL cluster used when no connection string is configured: made from the
/// machine's PostgreSQL binaries, kept in a folder of the working tree, listening on loopback only.
/// Several processes (the server, the tests) may ask for it at once; a file lock lets one start it.
/// </summary>
public sealed class EmbeddedPostgres
{
    public string DataDirectory { get; }
    public string BinDirectory { get; }
    public int Port { get; private set; }

    private string PortFile => Path.Combine(DataDirectory, "marhaba.port");
    private string LogFile => Path.Combine(Path.GetDirectoryName(DataDirectory)!, "postgres.log");

    private EmbeddedPostgres(string dataDirectory, string binDirectory)
    {
        DataDirectory = dataDirectory;
        BinDirectory = binDirectory;
        Port = File.Exists(PortFile) && int.TryParse(File.ReadAllText(PortFile), out var port) ? port : 5432;
    }

    /// <summary>The cluster for this working tree: under <c>.data/postgres</c> of the repository root.</summary>
    public static EmbeddedPostgres ForWorkingTree(string? root = null)
    {
        root ??= FindWorkingTreeRoot();
        var folder = Path.Combine(root, ".data");
        // Where the postgres OS user cannot reach the working tree (a clone in a private home
        // folder), keep the cluster in a machine-wide folder named after the working tree instead.
        if (RunsAsRoot && !EveryParentTraversable(root))
            folder = Path.Combine("/var/tmp/marhaba", Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(root)))[..12]);
        return new EmbeddedPostgres(Path.Combine(folder, "postgres"), FindOrInstallBinaries());
    }

    public string ConnectionString(string database) =>
        new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1", Port = Port, Username = "postgres", Database = database,
            MaxPoolSize = 50, Timeout = 15
        }.ConnectionString;

    /// <summary>Starts the cluster unless it already runs, and makes sure <paramref name="database"/> exists.</summary>
    public async Task<string> EnsureStartedAsync(string database, CancellationToken token = default)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(DataDirectory)!);
        using (await AcquireLockAsync(token))
        {
            if (!File.Exists(Path.Combine(DataDirectory, "PG_VERSION"))) await InitAsync(token);
            Port = int.Parse(await File.ReadAllTextAsync(PortFile, token));
            if (!await AcceptsConnectionsAsync(token)) await StartAsync(token);
        }
        await CreateDatabaseIfMissingAsync(database, token);
        return ConnectionString(database);
    }

    public async Task StopAsync()
    {
        if (File.Exists(Path.Combine(DataDirectory, "postmaster.pid")))
            await RunPgAsync("pg_ctl", $"stop -D \"{DataDirectory}\" -m fast -w", CancellationToken.None);
    }

    public async Task<bool> IsRunningAsync()
    {
        if (!File.Exists(PortFile)) return false;
        Port = int.Parse(await File.ReadAllTextAsync(PortFile));
        return await AcceptsConnectionsAsync(CancellationToken.None);
    }

    private async Task InitAsync(CancellationToken token)
    {
        Directory.CreateDirectory(DataDirectory);
        GiveToPostgresUser(Path.GetDirectoryName(DataDirectory)!);
        GiveToPostgresUser(DataDirectory);
        // Trust on loopback only: the cluster is private to this machine and listens nowhere else.
        await RunPgAsync("initdb", $"-D \"{DataDirectory}\" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8", token);
        var port = FreeLoopbackPort();
        await File.AppendAllTextAsync(Path.Combine(DataDirectory, "postgresql.conf"),
            $"\nlisten_addresses = '127.0.0.1'\nport = {port}\nunix_socket_directories = ''\nmax_connections = 300\nshared_buffers = 256MB\n", token);
        await File.WriteAllTextAsync(PortFile, port.ToString(), token);
        GiveToPostgresUser(PortFile);
    }

    private async Task StartAsync(CancellationToken token)
    {
        // A stale pid file from a killed cluster would stop pg_ctl from starting it again.
        var pidFile = Path.Combine(DataDirectory, "postmaster.pid");
        if (File.Exists(pidFile) && !ProcessAlive(pidFile)) File.Delete(pidFile);
        if (!File.Exists(LogFile)) { await File.WriteAllTextAsync(LogFile, "", token); GiveToPostgresUser(LogFile); }
        await RunPgAsync("pg_ctl", $"start -D \"{DataDirectory}\" -l \"{LogFile}\" -w -t 60", token);
        for (var i = 0; i < 100 && !await AcceptsConnectionsAsync(token); i++) await Task.Delay(100, token);
    }

    private async Task<bool> AcceptsConnectionsAsync(CancellationToken token)
    {
        try
        {
            await using var conn = new NpgsqlConnection(ConnectionString("postgres") + ";Pooling=false;Timeout=3");
            await conn.OpenAsync(token);
            return true;
        }
        catch (Exception e) when (e is NpgsqlException or SocketException or TimeoutException)
        {
            return false;
        }
    }

    private async Task CreateDatabaseIfMissingAsync(string database, CancellationToken token)
    {
        await using var conn = new NpgsqlConnection(ConnectionString("postgres") + ";Pooling=false");
        await conn.OpenAsync(token);
        await using var exists = new NpgsqlCommand("select 1 from pg_database where datname = @name", conn);
        exists.Parameters.AddWithValue("name", database);
        if (await exists.ExecuteScalarAsync(token) is not null) return;
        try
        {
            await using var create = new NpgsqlCommand($"create database \"{database.Replace("\"", "")}\"", conn);
            await create.ExecuteNonQueryAsync(token);
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.DuplicateDatabase or PostgresErrorCodes.UniqueViolation)
        {
            // Another process created it a moment ago.
        }
    }

    private async Task<IDisposable> AcquireLockAsync(CancellationToken token)
    {
        var path = Path.Combine(Path.GetDirectoryName(DataDirectory)!, "postgres.lock");
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (attempt < 600)
            {
                await Task.Delay(100, token);
            }
        }
    }

    private async Task RunPgAsync(string tool, string arguments, CancellationToken token)
    {
        var exe = Path.Combine(BinDirectory, tool);
        var start = RunsAsRoot
            ? new ProcessStartInfo("runuser", $"-u postgres -- \"{exe}\" {arguments}")
            : new ProcessStartInfo(exe, arguments);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.WorkingDirectory = "/";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(token);
        var stderr = process.StandardError.ReadToEndAsync(token);
        await process.WaitForExitAsync(token);
        if (process.ExitCode != 0)
            throw new InvalidOperationException(
                $"{tool} {arguments} failed with exit code {process.ExitCode}: {await stderr}{await stdout}" +
                (File.Exists(LogFile) ? $"\nSee {LogFile}." : ""));
    }

    private static bool RunsAsRoot => Environment.UserName == "root" || geteuid() == 0;

    [System.Runtime.InteropServices.DllImport("libc")]
    private static extern uint geteuid();

    private static void GiveToPostgresUser(string path)
    {
        if (!RunsAsRoot) return;
        using var chown = Process.Start(new ProcessStartInfo("chown", $"postgres:postgres \"{path}\"") { RedirectStandardError = true })!;
        chown.WaitForExit();
    }

    private static bool EveryParentTraversable(string path)
    {
        for (var dir = new DirectoryInfo(path); dir is not null; dir = dir.Parent)
            if (!dir.UnixFileMode.HasFlag(UnixFileMode.OtherExecute)) return false;
        return true;
    }

    private static bool ProcessAlive(string pidFile)
    {
        var first = File.ReadLines(pidFile).FirstOrDefault();
        return int.TryParse(first, out var pid) && Directory.Exists($"/proc/{pid}");
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static string FindWorkingTreeRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Marhaba.sln"))) return dir.FullName;
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Marhaba.sln"))) return dir.FullName;
        return Directory.GetCurrentDirectory();
    }

    private static string FindOrInstallBinaries()
    {
        if (Found() is { } bin) return bin;
        if (!RunsAsRoot)
            throw new InvalidOperationException(
                "PostgreSQL is not installed. Install it with: sudo apt-get update && sudo apt-get install -y postgresql " +
                "(or set ConnectionStrings:Marhaba to a PostgreSQL server of your own).");
        Console.WriteLine("PostgreSQL binaries not found: installing Debian's postgresql package...");
        foreach (var args in new[] { "update", "install -y --no-install-recommends postgresql" })
        {
            using var apt = Process.Start(new ProcessStartInfo("apt-get", args)
            {
                Environment = { ["DEBIAN_FRONTEND"] = "noninteractive" }
            })!;
            apt.WaitForExit();
            if (apt.ExitCode != 0)
                throw new InvalidOperationException($"'apt-get {args}' failed (exit {apt.ExitCode}); install PostgreSQL by hand: apt-get install -y postgresql");
        }
        return Found() ?? throw new InvalidOperationException("postgresql was installed but initdb is still not found under /usr/lib/postgresql/*/bin.");

        static string? Found()
        {
            if (Environment.GetEnvironmentVariable("MARHABA_PG_BIN") is { } configured && File.Exists(Path.Combine(configured, "initdb")))
                return configured;
            if (!Directory.Exists("/usr/lib/postgresql")) return null;
            return Directory.GetDirectories("/usr/lib/postgresql")
                .Select(d => Path.Combine(d, "bin"))
                .Where(d => File.Exists(Path.Combine(d, "initdb")))
                .OrderByDescending(d => int.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out var v) ? v : 0)
                .FirstOrDefault();
        }
    }
}
