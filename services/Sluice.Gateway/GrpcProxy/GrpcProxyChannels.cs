using System.Collections.Concurrent;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Sluice.ServiceDefaults;

namespace Sluice.Gateway.GrpcProxy;

/// <summary>
/// The proxy's channels to its backends, one per backend, made at the first call that needs it
/// and found as the gateway's other clients find them (Sluice:Services:{Name}:Address, else the
/// backend's listener in this process). They are the proxy's own: no default deadline (the
/// caller's passes through, or none) and the proxy's message limit.
/// </summary>
internal sealed class GrpcProxyChannels(IConfiguration configuration, IServiceProvider services, IOptions<GatewayOptions> options) : IDisposable
{
    private readonly ConcurrentDictionary<string, GrpcChannel> _channels = new(StringComparer.Ordinal);
    private readonly Lock _create = new();
    private readonly int _maxMessage = options.Value.GrpcProxy.MaxMessageBytes;

    /// <summary>The invoker of <paramref name="backend"/>, or null when its address is not known (yet).</summary>
    public CallInvoker? For(string backend)
    {
        if (_channels.TryGetValue(backend, out var channel))
        {
            return channel.CreateCallInvoker();
        }
        lock (_create)
        {
            if (!_channels.TryGetValue(backend, out channel))
            {
                if (Create(backend) is not { } created)
                {
                    return null;
                }
                channel = created;
                _channels[backend] = channel;
            }
        }
        return channel.CreateCallInvoker();
    }

    public void Dispose()
    {
        foreach (var channel in _channels.Values)
        {
            channel.Dispose();
        }
    }

    private GrpcChannel? Create(string backend) => SluiceServiceChannels.TryCreate(backend, configuration, services, channel =>
    {
        channel.MaxReceiveMessageSize = _maxMessage;
        channel.MaxSendMessageSize = _maxMessage;
    });
}
