using System.Net;

namespace Sluice.ServiceDefaults;

/// <summary>
/// Where one service listens, bound from "Sluice:{Service}" (e.g. Sluice:Query:GrpcPort=5102).
/// Defaults bind loopback only: exposing a service beyond the machine is a deliberate setting.
/// </summary>
public sealed class SluiceListenerOptions
{
    /// <summary>The address to bind. Defaults to 127.0.0.1.</summary>
    public string BindAddress { get; set; } = "127.0.0.1";

    /// <summary>The gRPC (HTTP/2 cleartext) port; 0 picks a free port.</summary>
    public int GrpcPort { get; set; }

    public IPAddress ParseBindAddress() =>
        IPAddress.TryParse(BindAddress, out var address)
            ? address
            : throw new InvalidOperationException($"Sluice: BindAddress '{BindAddress}' is not an IP address.");
}
