using System.Diagnostics;
using System.Text.Json;

namespace Sluice.Tests.Shared;

/// <summary>
/// Runs a test peer (a real gRPC implementation in another language, kept in the source tree) as a
/// process that prints one JSON object of what it observed. Compiled into each test project that
/// has peers (linked from tests/Shared).
/// </summary>
public static class PeerProcess
{
    /// <summary>The repository root: the nearest ancestor of the test binaries holding Services.sln.</summary>
    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>
    /// Runs <paramref name="file"/> with <paramref name="arguments"/> to its end and parses its
    /// standard output. A peer still running after <paramref name="timeout"/> is killed (only that
    /// process tree); a non-zero exit is a crash of the peer itself, reported with its stderr.
    /// </summary>
    public static async Task<JsonElement> RunForJsonAsync(string file, IEnumerable<string> arguments, string description, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {file}.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timer = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(timer.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{description} did not finish in {timeout.TotalSeconds} s. stderr: {await stderr}");
        }
        var output = await stdout;
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{description} crashed (exit {process.ExitCode}): {await stderr}");
        }
        return JsonDocument.Parse(output).RootElement.Clone();
    }

    private static string FindRepoRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Services.sln")))
            {
                return directory.FullName;
            }
        }
        throw new InvalidOperationException("Services.sln not found above " + AppContext.BaseDirectory);
    }
}
