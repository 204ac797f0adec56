using System.Diagnostics;
using Npgsql;

namespace Sluice.Query.Tests.Faults;

/// <summary>
/// A PostgreSQL cluster of the fault tests' own (initdb in a temporary folder, its own loopback
/// port and socket folder), which a test may stop and start without touching the shared server.
/// The server runs as the postgres user (it refuses root), managed with pg_ctl through the
/// postmaster's pid file in its data folder.
/// </summary>
public sealed class PrivatePostgres : IAsyncLifetime
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "sluice-faults-postgres-" + Guid.NewGuid().ToString("N")[..8]);
    private string _bin = "";
    private int _port;

    public string ConnectionString => $"Host=127.0.0.1;Port={_port};Username=postgres;Database=postgres;Pooling=true";

    public async Task InitializeAsync()
    {
        _bin = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin")).Where(d => File.Exists(Path.Combine(d, "initdb"))).Order().LastOrDefault() ?? ""
            : "";
        if (_bin.Length == 0)
        {
            throw new InvalidOperationException("PostgreSQL server binaries (initdb, pg_ctl) are not installed under /usr/lib/postgresql: run deploy/install-deps.sh.");
        }
        Directory.CreateDirectory(_directory);
        await RunAsync("chown", "postgres:postgres", _directory);
        _port = LoopbackPorts.FreeBlock(1);
        await AsPostgresAsync("initdb", "-D", DataDirectory, "-U", "postgres", "--auth=trust", "--no-sync");
        await StartAsync();
    }

    private string DataDirectory => Path.Combine(_directory, "data");

    /// <summary>Starts the server and waits until it accepts connections.</summary>
    public Task StartAsync() => AsPostgresAsync("pg_ctl", "-D", DataDirectory, "-l", Path.Combine(_directory, "server.log"), "-w", "-t", "120",
        "-o", $"-p {_port} -k {_directory} -c listen_addresses=127.0.0.1 -c fsync=off", "start");

    /// <summary>Stops the server (fast shutdown: sessions are ended), waiting until it has exited.</summary>
    public Task StopAsync()
    {
        NpgsqlConnection.ClearAllPools();
        return AsPostgresAsync("pg_ctl", "-D", DataDirectory, "-w", "-t", "120", "-m", "fast", "stop");
    }

    public async Task DisposeAsync()
    {
        if (File.Exists(Path.Combine(DataDirectory, "postmaster.pid")))
        {
            await StopAsync();
        }
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // Left to the OS's temp cleanup.
        }
    }

    private Task AsPostgresAsync(string tool, params string[] arguments) =>
        RunAsync("runuser", ["-u", "postgres", "--", Path.Combine(_bin, tool), .. arguments]);

    private static async Task RunAsync(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = "/" };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} failed ({process.ExitCode}): {await stderr}{await stdout}");
        }
    }
}
