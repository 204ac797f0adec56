using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Sluice.Vtl;

// Renders one template on one thread for a fixed time after a warm-up and prints renders per second.
// Usage: Sluice.Benchmarks.Vtl <template.vm> <body.json> <seconds>
if (args.Length < 3)
{
    Console.Error.WriteLine("usage: Sluice.Benchmarks.Vtl <template.vm> <body.json> <seconds>");
    return 2;
}

var template = VtlTemplate.Parse(File.ReadAllText(args[0]), Path.GetFileName(args[0]));
using var body = JsonDocument.Parse(File.ReadAllText(args[1]));
var variables = new Dictionary<string, object?> { ["input"] = new BenchInput(ToValue(body.RootElement)) };
var seconds = double.Parse(args[2], CultureInfo.InvariantCulture);

long checksum = 0;
var warmUp = Stopwatch.StartNew();
while (warmUp.Elapsed < TimeSpan.FromSeconds(3))
{
    checksum += template.Render(variables).Length;
}

long count = 0;
var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
var clock = Stopwatch.StartNew();
var budget = TimeSpan.FromSeconds(seconds);
do
{
    for (var i = 0; i < 1000; i++)
    {
        checksum += template.Render(variables).Length;
    }

    count += 1000;
}
while (clock.Elapsed < budget);

var rate = count / clock.Elapsed.TotalSeconds;
// On a shared machine the wall clock counts time the thread spent waiting for a core; CPU time does not.
var cpuRate = count / (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds;
var bytesPerRender = (GC.GetAllocatedBytesForCurrentThread() - allocatedBefore) / (double)count;
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"sluice-vtl renders/s {rate:F0} per-cpu-second {cpuRate:F0} ({count} renders, {bytesPerRender:F0} bytes allocated per render, checksum {checksum})"));
return 0;

static object? ToValue(JsonElement e) => e.ValueKind switch
{
    JsonValueKind.Object => e.EnumerateObject().ToDictionary(p => p.Name, p => ToValue(p.Value)),
    JsonValueKind.Array => e.EnumerateArray().Select(ToValue).ToList(),
    JsonValueKind.String => e.GetString(),
    JsonValueKind.True => true,
    JsonValueKind.False => false,
    JsonValueKind.Null => null,
    _ => e.TryGetInt32(out var i) && !e.GetRawText().Contains('.') ? i : e.GetDouble(),
};

/// <summary>API Gateway's $input reduced to what the pet-store template calls: path('$') is the parsed body.</summary>
internal sealed class BenchInput(object? root) : IVtlObject
{
    public bool TryGetProperty(string name, out object? value)
    {
        value = null;
        return false;
    }

    public bool TryInvoke(string method, IReadOnlyList<object?> arguments, out object? result)
    {
        result = method == "path" && arguments is ["$"] ? root : null;
        return method == "path";
    }
}
