using System.Collections.Concurrent;
using System.Net.Security;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Sluice.ServiceDefaults;

namespace Sluice.Gateway.GrpcProxy;

/// <summary>
/// The proxy's channels to its backends, one per backend, made at the first call that needs it:
/// the address is Sluice:Services:{Name}:Address, else what the host's
/// <see cref="IServiceAddressResolver"/> says. Made lazily, a channel never pins an address
/// resolved before the host's listeners were bound (port 0), and it is the proxy's own: no
/// default deadline (the caller's passes through, or none) and the proxy's message limit.
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

    private GrpcChannel? Create(string backend)
    {
        var settings = new SluiceServiceClientOptions();
        configuration.GetSection($"Sluice:Services:{backend}").Bind(settings);
        var resolver = services.GetService<IServiceAddressResolver>();
        var configured = !string.IsNullOrEmpty(settings.Address) && Uri.TryCreate(settings.Address, UriKind.Absolute, out var parsed) ? parsed : null;
        var address = configured ?? resolver?.Resolve(backend);
        if (address is null || address.Port == 0)
        {
            return null;
        }
        var handler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true };
        if (configured is null && resolver?.TrustedCertificate(backend) is { } trusted)
        {
            // The all-in-one host's own (self-signed) certificate, trusted for its own listener only.
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                errors == SslPolicyErrors.None || (certificate is not null && certificate.GetCertHashString() == trusted.GetCertHashString());
        }
        return GrpcChannel.ForAddress(address, new GrpcChannelOptions
        {
            HttpHandler = handler,
            DisposeHttpClient = true,
            MaxReceiveMessageSize = _maxMessage,
            MaxSendMessageSize = _maxMessage,
            MaxReconnectBackoff = settings.MaxReconnectBackoff,
            InitialReconnectBackoff = TimeSpan.FromTicks(Math.Min(TimeSpan.FromSeconds(1).Ticks, settings.MaxReconnectBackoff.Ticks)),
        });
    }
}
