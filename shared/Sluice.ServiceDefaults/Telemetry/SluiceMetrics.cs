using System.Diagnostics.Metrics;

namespace Sluice.ServiceDefaults;

/// <summary>Sluice's own instruments (meter "Sluice"), exported with the other metrics.</summary>
internal static class SluiceMetrics
{
    public const string MeterName = "Sluice";

    private static readonly Meter Meter = new(MeterName);

    /// <summary>Requests that started on a reused Kestrel HTTP/2 stream left marked scheduled, repaired (dotnet/aspnetcore#53736).</summary>
    public static readonly Counter<long> StreamReuseRepairs = Meter.CreateCounter<long>(
        "sluice.kestrel.stream_reuse_repairs", unit: "{request}",
        description: "Requests started on a reused Kestrel HTTP/2 stream left marked scheduled, whose mark was cleared so the response is not lost (dotnet/aspnetcore#53736).");
}
