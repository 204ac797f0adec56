using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Sluice.Benchmarks.Grpc;

/// <summary>
/// Listener and HTTP/2 limits shared by every .NET server of the gRPC benchmark. Both Sluice's
/// benchmark server and the bare-Kestrel reference link this file, so their ratio compares the
/// request path and nothing else.
/// </summary>
internal static class BenchmarkKestrel
{
    /// <summary>Streams allowed per connection. h2load opens 50; Kestrel's default is 100.</summary>
    public const int MaxStreamsPerConnection = 256;

    /// <summary>Connection receive window. Kestrel's default is 128 KiB.</summary>
    public const int InitialConnectionWindowSize = 1024 * 1024;

    /// <summary>Per-stream receive window. Kestrel's default is 96 KiB.</summary>
    public const int InitialStreamWindowSize = 768 * 1024;

    /// <summary>
    /// Reads the required <c>--port N</c> command-line argument (configuration key <c>port</c>).
    /// </summary>
    public static int GetPort(IConfiguration configuration)
    {
        var port = configuration.GetValue<int?>("port");
        if (port is not (> 0 and <= 65535))
        {
            throw new InvalidOperationException("Pass the listening port as --port N (1-65535).");
        }

        return port.Value;
    }

    /// <summary>
    /// Listens on 127.0.0.1:<paramref name="port"/> for cleartext HTTP/2 only and applies the
    /// benchmark's HTTP/2 limits (the bare-Kestrel reference; Sluice's server applies the limits
    /// and listens through Sluice's own <c>ListenGrpc</c>, which does the same).
    /// </summary>
    public static void ConfigureForGrpcBenchmark(this KestrelServerOptions options, int port)
    {
        options.ApplyGrpcBenchmarkLimits();

        // Cleartext gRPC is HTTP/2 with prior knowledge: with Http1AndHttp2 and no TLS (so no ALPN)
        // Kestrel would answer in HTTP/1.1 and every gRPC client would fail.
        options.Listen(IPAddress.Loopback, port, listen => listen.Protocols = HttpProtocols.Http2);
    }

    /// <summary>The benchmark's HTTP/2 limits, without adding a listener.</summary>
    public static void ApplyGrpcBenchmarkLimits(this KestrelServerOptions options)
    {
        options.AddServerHeader = false;
        options.Limits.Http2.MaxStreamsPerConnection = MaxStreamsPerConnection;
        options.Limits.Http2.InitialConnectionWindowSize = InitialConnectionWindowSize;
        options.Limits.Http2.InitialStreamWindowSize = InitialStreamWindowSize;
    }
}
