using System.Diagnostics;
using System.Globalization;

namespace Sluice.Benchmarks.Ingestion;

/// <summary>One measured phase: wall time and the CPU time this process (and an outside server, when given) spent in it.</summary>
internal sealed record Measurement(string Phase, long Records, long Bytes, TimeSpan Elapsed, TimeSpan Cpu, TimeSpan? ServerCpu = null)
{
    public double RecordsPerSecond => Records / Elapsed.TotalSeconds;

    /// <summary>Runs <paramref name="body"/> and measures it; the body returns the records and bytes it moved.</summary>
    public static async Task<Measurement> OfAsync(string phase, Func<Task<(long Records, long Bytes)>> body, int? serverPid = null)
    {
        using var self = Process.GetCurrentProcess();
        var cpuBefore = self.TotalProcessorTime;
        var serverBefore = serverPid is { } pid ? CpuOf(pid) : TimeSpan.Zero;
        var watch = Stopwatch.StartNew();
        var (records, bytes) = await body();
        watch.Stop();
        self.Refresh();
        return new Measurement(phase, records, bytes, watch.Elapsed, self.TotalProcessorTime - cpuBefore,
            serverPid is { } server ? CpuOf(server) - serverBefore : null);
    }

    /// <summary>User plus system CPU time of another process, from /proc/{pid}/stat (Linux).</summary>
    public static TimeSpan CpuOf(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        // Fields 14 and 15 of the file (utime, stime) in clock ticks; 100 per second on Linux.
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return TimeSpan.FromSeconds(ticks / 100.0);
    }

    public static string LoadAverage() => string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ')[..3]);

    /// <summary>Prints the phases with their ratio to <paramref name="reference"/> (rate) and their CPU per record.</summary>
    public static void PrintTable(string title, Measurement reference, IEnumerable<Measurement> phases)
    {
        Console.WriteLine();
        Console.WriteLine(title);
        Console.WriteLine($"{"phase",-34} {"records",10} {"seconds",8} {"records/s",11} {"MiB/s",7} {"ratio",6} {"CPU µs/rec",11}");
        foreach (var m in phases)
        {
            var server = m.ServerCpu is { } s ? $" (+{s.TotalMicroseconds / m.Records:0.0} server)" : "";
            Console.WriteLine($"{m.Phase,-34} {m.Records,10:N0} {m.Elapsed.TotalSeconds,8:0.00} {m.RecordsPerSecond,11:N0} {m.Bytes / m.Elapsed.TotalSeconds / 1048576,7:0.0} {m.RecordsPerSecond / reference.RecordsPerSecond,5:0.00}x {m.Cpu.TotalMicroseconds / m.Records,11:0.0}{server}");
        }
    }
}
