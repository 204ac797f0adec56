using System.Diagnostics;
using System.Text.Json;

namespace Sluice.Vtl.Tests.Conformance;

/// <summary>What Apache Velocity 1.7 made of one case: its output, or the error it raised.</summary>
public sealed record ReferenceResult(string? Output, string? Error);

/// <summary>
/// Renders the whole corpus once with Apache Velocity 1.7 (Debian's velocity.jar, installed by
/// deploy/install-deps.sh) through tests/conformance/vtl/VelocityRunner.java in a single JVM.
/// </summary>
public static class VelocityReference
{
    public static readonly string[] Jars =
    [
        "/usr/share/java/velocity.jar",
        "/usr/share/java/commons-collections3.jar",
        "/usr/share/java/commons-lang.jar",
    ];

    private static readonly Lazy<IReadOnlyDictionary<string, ReferenceResult>> LazyResults = new(Run);

    public static IReadOnlyDictionary<string, ReferenceResult> Results => LazyResults.Value;

    public static string ClassPath => string.Join(':', Jars);

    private static IReadOnlyDictionary<string, ReferenceResult> Run()
    {
        foreach (var jar in Jars)
        {
            if (!File.Exists(jar))
            {
                throw new InvalidOperationException($"{jar} is missing: run deploy/install-deps.sh (Debian packages velocity and default-jdk-headless).");
            }
        }

        var output = Path.Combine(Path.GetTempPath(), $"sluice-vtl-reference-{Environment.ProcessId}-{Guid.NewGuid():N}.json");
        try
        {
            var start = new ProcessStartInfo("java")
            {
                ArgumentList = { "-cp", ClassPath, Path.Combine(VtlCorpus.Directory, "VelocityRunner.java"), "corpus", VtlCorpus.CasesDirectory, output },
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            using var process = Process.Start(start) ?? throw new InvalidOperationException("java could not be started");
            var stderr = process.StandardError.ReadToEndAsync();
            var stdout = process.StandardOutput.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException("The Velocity reference runner did not finish within 5 minutes.");
            }

            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"The Velocity reference runner failed ({process.ExitCode}): {stderr.Result}{stdout.Result}");
            }

            using var doc = JsonDocument.Parse(File.ReadAllText(output));
            return doc.RootElement.EnumerateObject().ToDictionary(
                p => p.Name,
                p => new ReferenceResult(
                    p.Value.TryGetProperty("output", out var o) ? o.GetString() : null,
                    p.Value.TryGetProperty("error", out var e) ? e.GetString() : null));
        }
        finally
        {
            File.Delete(output);
        }
    }
}
