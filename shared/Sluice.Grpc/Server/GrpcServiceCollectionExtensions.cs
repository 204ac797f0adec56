using Microsoft.Extensions.DependencyInjection;
using Sluice.Grpc.Server;

namespace Sluice.Grpc;

public static class GrpcServiceCollectionExtensions
{
    /// <summary>Registers the gRPC server runtime (routing, options, the service registry).</summary>
    public static IServiceCollection AddSluiceGrpc(this IServiceCollection services, Action<GrpcServerOptions>? configure = null)
    {
        services.AddRouting();
        var options = services.AddOptions<GrpcServerOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }
        services.AddSingleton<GrpcServiceRegistry>();
        return services;
    }
}
