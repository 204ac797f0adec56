using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sluice.Grpc.Server;

namespace Sluice.Grpc;

public static class GrpcEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps every method of <typeparamref name="TService"/> (a class deriving from a generated
    /// <c>...Base</c> class) to <c>POST /package.Service/Method</c>. The service instance comes
    /// from dependency injection when <typeparamref name="TService"/> is registered there (with
    /// whatever lifetime it was registered); otherwise one instance is created now and shared.
    /// Paths of no mapped method answer UNIMPLEMENTED.
    /// </summary>
    public static IEndpointConventionBuilder MapGrpcService<TService>(this IEndpointRouteBuilder endpoints)
        where TService : class
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var definition = FindDefinition(typeof(TService))
            ?? throw new InvalidOperationException($"{typeof(TService).FullName} does not derive from a generated gRPC service base class (one implementing IGrpcServiceDefinition<T>).");
        var map = typeof(GrpcEndpointRouteBuilderExtensions)
            .GetMethod(nameof(MapService), BindingFlags.NonPublic | BindingFlags.Static)!
            .MakeGenericMethod(definition, typeof(TService));
        return (IEndpointConventionBuilder)map.Invoke(null, [endpoints])!;
    }

    private static Type? FindDefinition(Type service)
    {
        for (var type = service; type is not null; type = type.BaseType)
        {
            var implementsOwnDefinition = type.GetInterfaces().Any(i =>
                i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IGrpcServiceDefinition<>) && i.GetGenericArguments()[0] == type);
            if (implementsOwnDefinition)
            {
                return type;
            }
        }
        return null;
    }

    private static IEndpointConventionBuilder MapService<TBase, TService>(IEndpointRouteBuilder endpoints)
        where TBase : class, IGrpcServiceDefinition<TBase>
        where TService : class, TBase
    {
        var services = endpoints.ServiceProvider;
        var registry = services.GetService<GrpcServiceRegistry>()
            ?? throw new InvalidOperationException("Call services.AddSluiceGrpc() before mapping gRPC services.");
        var options = services.GetRequiredService<IOptions<GrpcServerOptions>>().Value;
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("Sluice.Grpc.Server");

        var binder = new GrpcServiceBinder<TBase>(endpoints, CreateActivator<TService>(services), options, logger);
        TBase.BindService(binder);
        registry.AddService(TBase.ServiceName);
        MapUnimplementedFallback(endpoints, registry, logger);
        return new CompositeConventionBuilder(binder.Builders);
    }

    private static Func<HttpContext, TService> CreateActivator<TService>(IServiceProvider services)
        where TService : class
    {
        if (services.GetService<IServiceProviderIsService>()?.IsService(typeof(TService)) == true)
        {
            return static http => http.RequestServices.GetRequiredService<TService>();
        }
        var shared = ActivatorUtilities.CreateInstance<TService>(services);
        return _ => shared;
    }

    private static void MapUnimplementedFallback(IEndpointRouteBuilder endpoints, GrpcServiceRegistry registry, ILogger logger)
    {
        if (!registry.TryMarkFallbackMapped(endpoints))
        {
            return;
        }
        // Lowest precedence: only paths no mapped method matched arrive here.
        endpoints.MapPost("{unimplementedService}/{unimplementedMethod}", http => UnimplementedAsync(http, registry, logger))
            .WithDisplayName("gRPC unimplemented")
            .Add(builder => ((RouteEndpointBuilder)builder).Order = int.MaxValue);
    }

    private static Task UnimplementedAsync(HttpContext http, GrpcServiceRegistry registry, ILogger logger)
    {
        if (KestrelStreamReuseRepair.Repair(http))
        {
            ServerLog.RepairedStreamReuse(logger, http.Request.Path);
        }
        var response = http.Response;
        if (!Protocol.GrpcProtocol.IsGrpcContentType(http.Request.ContentType))
        {
            response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        }
        ServerLog.Unimplemented(logger, http.Request.Path);
        var service = http.Request.RouteValues["unimplementedService"] as string ?? "";
        response.ContentType = Protocol.GrpcProtocol.ContentType;
        response.Headers[Protocol.GrpcProtocol.StatusHeader] = ((int)StatusCode.Unimplemented).ToString(System.Globalization.CultureInfo.InvariantCulture);
        response.Headers[Protocol.GrpcProtocol.MessageHeader] = registry.HasService(service) ? "Method is unimplemented." : "Service is unimplemented.";
        return Task.CompletedTask;
    }

    private sealed class CompositeConventionBuilder(IReadOnlyList<IEndpointConventionBuilder> builders) : IEndpointConventionBuilder
    {
        public void Add(Action<EndpointBuilder> convention)
        {
            foreach (var builder in builders)
            {
                builder.Add(convention);
            }
        }
    }
}
