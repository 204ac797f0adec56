using System.Net;
using System.Security.Cryptography.X509Certificates;
using Grpc.Net.Client.Balancer;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Sluice.ServiceDefaults;

/// <summary>
/// The services this same process hosts and where they listen. The all-in-one host registers one,
/// so that its services still call each other over real gRPC on their own listeners.
/// </summary>
public interface ILocalServiceDirectory
{
    /// <summary>The listener of <paramref name="serviceName"/> (e.g. "Query") when this process hosts it, else null.</summary>
    LocalServiceListener? Find(string serviceName);
}

/// <summary>
/// A gRPC listener of this process. Whether it uses TLS is known when the host is built; its
/// address only once the server has bound it (a port of 0 is chosen then).
/// </summary>
public abstract class LocalServiceListener
{
    /// <summary>The listener's own certificate, trusted for it alone even when self-signed; null for plaintext.</summary>
    public abstract X509Certificate2? Certificate { get; }

    /// <summary>The address to connect to, waiting until the listener is bound.</summary>
    public abstract Task<IPEndPoint> GetEndPointAsync(CancellationToken cancellationToken);
}

/// <summary>
/// Resolves <c>sluice-local://{service}</c> addresses to the listener of that service in this
/// process, when a channel connects rather than when its client is first created. Grpc.Net.ClientFactory
/// keeps one channel per client name for the host's life, so an address fixed at creation would
/// pin whatever was known then: before the server binds, port 0.
/// </summary>
internal sealed class LocalServiceResolverFactory(IServiceProvider services) : ResolverFactory
{
    public const string Scheme = "sluice-local";

    public override string Name => Scheme;

    public static Uri AddressOf(string serviceName) => new($"{Scheme}://{serviceName.ToLowerInvariant()}");

    public override Resolver Create(ResolverOptions options)
    {
        var serviceName = options.Address.Host;
        var listener = services.GetService<ILocalServiceDirectory>()?.Find(serviceName)
            ?? throw new InvalidOperationException($"This process hosts no '{serviceName}' service for the address {options.Address}.");
        return new LocalServiceResolver(listener, options.LoggerFactory);
    }

    private sealed class LocalServiceResolver(LocalServiceListener listener, ILoggerFactory loggerFactory) : PollingResolver(loggerFactory)
    {
        protected override async Task ResolveAsync(CancellationToken cancellationToken)
        {
            var endPoint = await listener.GetEndPointAsync(cancellationToken).ConfigureAwait(false);
            Listener(ResolverResult.ForResult([new BalancerAddress(endPoint.Address.ToString(), endPoint.Port)]));
        }
    }
}
