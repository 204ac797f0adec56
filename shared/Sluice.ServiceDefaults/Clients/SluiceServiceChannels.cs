using System.Net.Security;
using Grpc.Core;
using Grpc.Net.Client;
using Grpc.Net.Client.Balancer;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Sluice.ServiceDefaults;

/// <summary>
/// Channels of their own to other Sluice services, found as <see cref="ServiceClientDefaults"/>'s clients find them,
/// for callers that need channel settings the client factory's clients do not have (a proxy passing raw messages
/// sets no default deadline and its own message limits).
/// </summary>
public static class SluiceServiceChannels
{
    /// <summary>
    /// A channel to <paramref name="serviceName"/> at Sluice:Services:{serviceName}:Address, else at its listener in
    /// this same process; null when neither is known. The caller disposes it.
    /// </summary>
    /// <param name="services">The host's services (registered with <see cref="AddSluiceLocalServiceResolver"/>).</param>
    public static GrpcChannel? TryCreate(string serviceName, IConfiguration configuration, IServiceProvider services, Action<GrpcChannelOptions>? configure = null)
    {
        var (options, configured) = SluiceServiceOptions.Read(configuration, serviceName);
        var local = configured is null ? services.GetService<ILocalServiceDirectory>()?.Find(serviceName) : null;
        var address = configured ?? (local is not null ? LocalServiceResolverFactory.AddressOf(serviceName) : null);
        if (address is null)
        {
            return null;
        }
        var channel = new GrpcChannelOptions
        {
            HttpHandler = SluiceServiceOptions.CreateHandler(local),
            DisposeHttpClient = true,
            ServiceProvider = services,
        };
        if (local is not null)
        {
            channel.Credentials = SluiceServiceOptions.CredentialsOf(local);
        }
        SluiceServiceOptions.ApplyReconnectBackoff(channel, options);
        configure?.Invoke(channel);
        return GrpcChannel.ForAddress(address, channel);
    }

    /// <summary>Registers the resolver of <c>sluice-local://</c> addresses (once, however often it is called).</summary>
    public static IServiceCollection AddSluiceLocalServiceResolver(this IServiceCollection services)
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ResolverFactory, LocalServiceResolverFactory>());
        return services;
    }
}

/// <summary>Reading and applying Sluice:Services:{Name}, shared by the factory's clients and standalone channels.</summary>
internal static class SluiceServiceOptions
{
    /// <summary>The section's settings, checked, and the configured address if any.</summary>
    public static (SluiceServiceClientOptions Options, Uri? Configured) Read(IConfiguration configuration, string serviceName)
    {
        var options = new SluiceServiceClientOptions();
        configuration.GetSection($"Sluice:Services:{serviceName}").Bind(options);
        if (options.Deadline <= TimeSpan.Zero)
        {
            throw new InvalidOperationException($"Sluice:Services:{serviceName}:Deadline must be positive.");
        }
        if (options.MaxReconnectBackoff <= TimeSpan.Zero)
        {
            throw new InvalidOperationException($"Sluice:Services:{serviceName}:MaxReconnectBackoff must be positive.");
        }
        Uri? configured = null;
        if (!string.IsNullOrEmpty(options.Address) && !Uri.TryCreate(options.Address, UriKind.Absolute, out configured))
        {
            throw new InvalidOperationException($"Sluice:Services:{serviceName}:Address '{options.Address}' is not an absolute URI.");
        }
        return (options, configured);
    }

    /// <summary>The transport; a listener of this process is trusted by its own (possibly self-signed) certificate.</summary>
    public static SocketsHttpHandler CreateHandler(LocalServiceListener? local)
    {
        var handler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true };
        if (local?.Certificate is { } trusted)
        {
            // The connection's host name is the service's name, not the certificate's: trusted by its exact certificate.
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                errors == SslPolicyErrors.None || (certificate is not null && certificate.GetCertHashString() == trusted.GetCertHashString());
        }
        return handler;
    }

    /// <summary>A sluice-local:// address names no HTTP scheme: the channel is told whether to use TLS.</summary>
    public static ChannelCredentials CredentialsOf(LocalServiceListener local) =>
        local.Certificate is null ? ChannelCredentials.Insecure : ChannelCredentials.SecureSsl;

    public static void ApplyReconnectBackoff(GrpcChannelOptions channel, SluiceServiceClientOptions options)
    {
        channel.MaxReconnectBackoff = options.MaxReconnectBackoff;
        channel.InitialReconnectBackoff = TimeSpan.FromTicks(Math.Min(TimeSpan.FromSeconds(1).Ticks, options.MaxReconnectBackoff.Ticks));
    }
}
