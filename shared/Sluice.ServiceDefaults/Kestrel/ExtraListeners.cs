using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;

namespace Sluice.ServiceDefaults;

/// <summary>
/// A service's listeners beside its gRPC one (the gateway's REST, private, management and proxy
/// listeners, the query service's Data API): each set by a port setting (-1 off, 0 any free
/// port, else the port) and a bind address setting, both checked when the host is built.
/// </summary>
public static class ExtraListeners
{
    /// <summary>The address to bind, or null when the listener is off (a negative port).</summary>
    /// <exception cref="InvalidOperationException">The port or the address is not valid; the message names the setting.</exception>
    public static IPAddress? Parse(int port, string portSetting, string? bindAddress, string bindAddressSetting)
    {
        if (port < 0)
        {
            return null;
        }
        if (port > IPEndPoint.MaxPort)
        {
            throw new InvalidOperationException($"{portSetting} must be -1 (off), 0 (any free port) or a port number, not {port}.");
        }
        return IPAddress.TryParse(bindAddress, out var address)
            ? address
            : throw new InvalidOperationException($"{bindAddressSetting} '{bindAddress}' is not an IP address.");
    }

    /// <summary>
    /// Listens on <paramref name="address"/>:<paramref name="port"/> with <paramref name="protocols"/>, tagged
    /// <paramref name="listenerName"/> (so only the endpoints that require that listener answer on it), and hands
    /// the listen options to <paramref name="configured"/> (whose bound endpoint is known once the host has started).
    /// </summary>
    public static IServiceCollection AddTaggedListener(this IServiceCollection services, IPAddress address, int port, HttpProtocols protocols,
        string listenerName, Action<ListenOptions> configured) =>
        services.Configure<KestrelServerOptions>(kestrel => kestrel.Listen(address, port, listen =>
        {
            listen.Protocols = protocols;
            listen.TagListener(listenerName);
            configured(listen);
        }));
}
