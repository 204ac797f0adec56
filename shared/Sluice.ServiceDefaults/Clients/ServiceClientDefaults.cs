using ServiceDescriptor = Google.Protobuf.Reflection.ServiceDescriptor;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client.Configuration;
using Grpc.Net.ClientFactory;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Sluice.ServiceDefaults;

/// <summary>How this host reaches another Sluice service, bound from "Sluice:Services:{Name}".</summary>
public sealed class SluiceServiceClientOptions
{
    /// <summary>The service's gRPC address, e.g. http://127.0.0.1:5102.</summary>
    public string? Address { get; set; }

    /// <summary>The deadline of a call that sets none. Defaults to 30 seconds.</summary>
    public TimeSpan Deadline { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The longest wait between attempts to reconnect to a service that refused the connection.
    /// Defaults to 5 seconds: gRPC's own 120 s means a caller started before its backend keeps
    /// failing for up to two minutes after the backend is up.
    /// </summary>
    public TimeSpan MaxReconnectBackoff { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>Service-to-service gRPC clients through Grpc.Net.ClientFactory.</summary>
public static class ServiceClientDefaults
{
    /// <summary>
    /// Registers a client of another Sluice service under the name <paramref name="serviceName"/>
    /// (resolve it with <c>GrpcClientFactory.CreateClient&lt;TClient&gt;(serviceName)</c>). Its
    /// address is Sluice:Services:{serviceName}:Address, else the service's listener in this same
    /// process when an <see cref="ILocalServiceDirectory"/> knows it. Every call gets
    /// Sluice:Services:{serviceName}:Deadline unless it sets one, and the methods of
    /// <paramref name="service"/> named in <paramref name="idempotentMethods"/> are retried on
    /// UNAVAILABLE through the gRPC service config.
    /// </summary>
    public static IHttpClientBuilder AddSluiceServiceClient<TClient>(this IHostApplicationBuilder builder, string serviceName, ServiceDescriptor service, params string[] idempotentMethods)
        where TClient : ClientBase =>
        builder.AddSluiceServiceClient<TClient>(serviceName, serviceName, service, idempotentMethods);

    /// <summary>
    /// As <see cref="AddSluiceServiceClient{TClient}(IHostApplicationBuilder, string, ServiceDescriptor, string[])"/>,
    /// registered under <paramref name="clientName"/>: for a second client of one service whose
    /// name another part of the host already holds (names share their handler and channel set-up).
    /// </summary>
    public static IHttpClientBuilder AddSluiceServiceClient<TClient>(this IHostApplicationBuilder builder, string serviceName, string clientName, ServiceDescriptor service, params string[] idempotentMethods)
        where TClient : ClientBase
    {
        var (options, configured) = SluiceServiceOptions.Read(builder.Configuration, serviceName);
        foreach (var method in idempotentMethods)
        {
            if (service.FindMethodByName(method) is null)
            {
                throw new ArgumentException($"{service.FullName} has no method '{method}'.", nameof(idempotentMethods));
            }
        }

        builder.Services.AddSluiceLocalServiceResolver();
        return builder.Services.AddGrpcClient<TClient>(clientName, (provider, client) =>
            {
                client.Address = configured
                    ?? (provider.GetService<ILocalServiceDirectory>()?.Find(serviceName) is not null
                        ? LocalServiceResolverFactory.AddressOf(serviceName)
                        : throw new InvalidOperationException($"No address for the {serviceName} service: set Sluice:Services:{serviceName}:Address."));
            })
            .ConfigurePrimaryHttpMessageHandler(provider =>
                SluiceServiceOptions.CreateHandler(configured is null ? provider.GetService<ILocalServiceDirectory>()?.Find(serviceName) : null))
            .ConfigureChannel((provider, channel) =>
            {
                if (configured is null && provider.GetService<ILocalServiceDirectory>()?.Find(serviceName) is { } local)
                {
                    channel.Credentials = SluiceServiceOptions.CredentialsOf(local);
                }
            })
            .ConfigureChannel(channel =>
            {
                SluiceServiceOptions.ApplyReconnectBackoff(channel, options);
                var reads = new MethodConfig
                {
                    RetryPolicy = new RetryPolicy
                    {
                        MaxAttempts = 4,
                        InitialBackoff = TimeSpan.FromMilliseconds(200),
                        MaxBackoff = TimeSpan.FromSeconds(2),
                        BackoffMultiplier = 2,
                        RetryableStatusCodes = { StatusCode.Unavailable },
                    },
                };
                foreach (var method in idempotentMethods)
                {
                    reads.Names.Add(new MethodName { Service = service.FullName, Method = method });
                }
                channel.ServiceConfig = new ServiceConfig { MethodConfigs = { reads } };
            })
            .AddInterceptor(() => new DefaultDeadlineInterceptor(options.Deadline));
    }
}

/// <summary>Gives every call that sets no deadline one: a call to a hung peer must end.</summary>
internal sealed class DefaultDeadlineInterceptor(TimeSpan deadline) : Interceptor
{
    public override TResponse BlockingUnaryCall<TRequest, TResponse>(TRequest request, ClientInterceptorContext<TRequest, TResponse> context, BlockingUnaryCallContinuation<TRequest, TResponse> continuation) =>
        continuation(request, WithDeadline(context));

    public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(TRequest request, ClientInterceptorContext<TRequest, TResponse> context, AsyncUnaryCallContinuation<TRequest, TResponse> continuation) =>
        continuation(request, WithDeadline(context));

    public override AsyncServerStreamingCall<TResponse> AsyncServerStreamingCall<TRequest, TResponse>(TRequest request, ClientInterceptorContext<TRequest, TResponse> context, AsyncServerStreamingCallContinuation<TRequest, TResponse> continuation) =>
        continuation(request, WithDeadline(context));

    public override AsyncClientStreamingCall<TRequest, TResponse> AsyncClientStreamingCall<TRequest, TResponse>(ClientInterceptorContext<TRequest, TResponse> context, AsyncClientStreamingCallContinuation<TRequest, TResponse> continuation) =>
        continuation(WithDeadline(context));

    public override AsyncDuplexStreamingCall<TRequest, TResponse> AsyncDuplexStreamingCall<TRequest, TResponse>(ClientInterceptorContext<TRequest, TResponse> context, AsyncDuplexStreamingCallContinuation<TRequest, TResponse> continuation) =>
        continuation(WithDeadline(context));

    private ClientInterceptorContext<TRequest, TResponse> WithDeadline<TRequest, TResponse>(ClientInterceptorContext<TRequest, TResponse> context)
        where TRequest : class
        where TResponse : class =>
        context.Options.Deadline is null
            ? new ClientInterceptorContext<TRequest, TResponse>(context.Method, context.Host, context.Options.WithDeadline(DateTime.UtcNow.Add(deadline)))
            : context;
}
