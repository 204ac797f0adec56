using System.IO.Compression;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Sluice.ServiceDefaults.Rpc;

namespace Sluice.ServiceDefaults;

/// <summary>Server-wide gRPC settings, bound from "Sluice:Grpc".</summary>
public sealed class SluiceGrpcOptions
{
    public const string SectionName = "Sluice:Grpc";

    /// <summary>Largest request message accepted (after decompression), in bytes. Defaults to 4 MB.</summary>
    public int MaxReceiveMessageSize { get; set; } = 4 * 1024 * 1024;

    /// <summary>Largest response message sent, in bytes. Defaults to 4 MB.</summary>
    public int MaxSendMessageSize { get; set; } = 4 * 1024 * 1024;

    /// <summary>
    /// Compress responses with this encoding ("gzip") for callers that accept it. Defaults to
    /// none: on loopback and fast links compression costs more than it saves. gzip requests are
    /// always accepted.
    /// </summary>
    public string? ResponseCompression { get; set; }

    /// <summary>Serve grpc.reflection (v1 and v1alpha) on every gRPC listener. Defaults to true.</summary>
    public bool Reflection { get; set; } = true;
}

/// <summary>gRPC on Grpc.AspNetCore, configured once for every Sluice service.</summary>
public static class GrpcDefaultsExtensions
{
    internal static void AddSluiceGrpc(IHostApplicationBuilder builder)
    {
        var options = new SluiceGrpcOptions();
        builder.Configuration.GetSection(SluiceGrpcOptions.SectionName).Bind(options);
        if (options.MaxReceiveMessageSize <= 0 || options.MaxSendMessageSize <= 0)
        {
            throw new InvalidOperationException($"{SluiceGrpcOptions.SectionName}:MaxReceiveMessageSize and MaxSendMessageSize must be positive.");
        }
        if (options.ResponseCompression is { Length: > 0 } encoding && encoding != "gzip")
        {
            throw new InvalidOperationException($"{SluiceGrpcOptions.SectionName}:ResponseCompression '{encoding}' is not supported; use gzip or leave it empty.");
        }

        var services = builder.Services;
        services.TryAddSingleton<StatusInterceptor>();
        services.TryAddSingleton<ListenerHealthInterceptor>();
        services.AddGrpc(grpc =>
        {
            grpc.Interceptors.Add<StatusInterceptor>();
            grpc.Interceptors.Add<ListenerHealthInterceptor>();
            grpc.MaxReceiveMessageSize = options.MaxReceiveMessageSize;
            grpc.MaxSendMessageSize = options.MaxSendMessageSize;
            grpc.ResponseCompressionAlgorithm = string.IsNullOrEmpty(options.ResponseCompression) ? null : options.ResponseCompression;
            grpc.ResponseCompressionLevel = CompressionLevel.Fastest;
            grpc.EnableDetailedErrors = false;
        });
        services.TryAddSingleton<ListenerServiceDescriptors>();
        services.TryAddSingleton(new GrpcDefaultsMapping(options)); // The options as validated above.
    }

    /// <summary>Registers a mapper from a family of domain exceptions to statuses (see <see cref="IRpcExceptionMapper"/>).</summary>
    public static IServiceCollection AddRpcExceptionMapper<TMapper>(this IServiceCollection services)
        where TMapper : class, IRpcExceptionMapper
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IRpcExceptionMapper, TMapper>());
        return services;
    }

    /// <summary>
    /// Maps what every gRPC listener serves besides its service: grpc.health.v1 and, unless
    /// Sluice:Grpc:Reflection is false, server reflection. Maps them once per application, so a
    /// host that calls it before mapping its services' listener groups serves them on every
    /// listener, and the services' own calls then do nothing.
    /// </summary>
    public static IEndpointRouteBuilder MapSluiceGrpcDefaults(this IEndpointRouteBuilder endpoints)
    {
        var mapping = endpoints.ServiceProvider.GetRequiredService<GrpcDefaultsMapping>();
        if (Interlocked.Exchange(ref mapping.Mapped, 1) == 1)
        {
            return endpoints;
        }
        endpoints.MapGrpcHealthChecksService();
        if (mapping.Options.Reflection)
        {
            endpoints.MapGrpcService<ListenerReflectionV1Alpha>();
            endpoints.MapGrpcService<ListenerReflectionV1>();
        }
        return endpoints;
    }

    /// <summary>Whether the defaults are mapped yet, and the options they were registered with.</summary>
    internal sealed class GrpcDefaultsMapping(SluiceGrpcOptions options)
    {
        public int Mapped;

        public SluiceGrpcOptions Options { get; } = options;
    }
}
