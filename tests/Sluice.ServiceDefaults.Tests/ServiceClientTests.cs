using System.Collections.Concurrent;
using System.Net;
using Grpc.AspNetCore.Server;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Health.V1;
using Grpc.Net.ClientFactory;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Sluice.ServiceDefaults.Tests;

/// <summary>
/// Service-to-service clients registered with <see cref="ServiceClientDefaults.AddSluiceServiceClient{TClient}"/>,
/// calling a real Sluice host over loopback gRPC that records what arrives.
/// </summary>
public sealed class ServiceClientTests : IAsyncLifetime
{
    private readonly CallRecorder _recorder = new();
    private WebApplication _server = null!;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.Configuration["Sluice:Admin:Port"] = "-1";
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ListenGrpc(IPAddress.Loopback, 0));
        builder.AddSluiceServiceDefaults();
        builder.Services.AddSingleton(_recorder);
        builder.Services.Configure<GrpcServiceOptions>(grpc => grpc.Interceptors.Add<CallRecorder>());
        _server = builder.Build();
        _server.MapSluiceGrpcDefaults();
        await _server.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _server.StopAsync();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task Call_WithoutDeadline_GetsTheConfiguredDeadline()
    {
        using var client = BuildClientHost(deadline: "00:00:07");

        await Health(client).CheckAsync(new HealthCheckRequest());

        var remaining = Assert.Single(_recorder.Deadlines) - DateTime.UtcNow;
        Assert.InRange(remaining, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(7));
    }

    [Fact]
    public async Task Call_WithItsOwnDeadline_KeepsIt()
    {
        using var client = BuildClientHost(deadline: "00:00:07");
        var own = DateTime.UtcNow.AddMinutes(5);

        await Health(client).CheckAsync(new HealthCheckRequest(), deadline: own);

        Assert.InRange(Assert.Single(_recorder.Deadlines), own.AddSeconds(-2), own.AddSeconds(2));
    }

    [Fact]
    public async Task IdempotentRead_UnavailableTwice_RetriedUntilItSucceeds()
    {
        using var client = BuildClientHost();
        _recorder.FailNext = 2;

        var reply = await Health(client).CheckAsync(new HealthCheckRequest());

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, reply.Status);
        Assert.Equal(3, _recorder.Calls["/grpc.health.v1.Health/Check"]);
    }

    [Fact]
    public async Task MethodNotListedAsIdempotent_Unavailable_NotRetried()
    {
        using var client = BuildClientHost();
        _recorder.FailNext = 1;

        using var watch = Health(client).Watch(new HealthCheckRequest());
        var error = await Assert.ThrowsAsync<RpcException>(() => watch.ResponseStream.MoveNext(CancellationToken.None));

        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.Equal(1, _recorder.Calls["/grpc.health.v1.Health/Watch"]);
    }

    [Fact]
    public void Register_AddressNotAUri_FailsNamingTheSetting()
    {
        var error = Assert.Throws<InvalidOperationException>(() => BuildClientHost(address: "not a uri"));

        Assert.Contains("Sluice:Services:Backend:Address", error.Message);
    }

    [Theory]
    [InlineData("Deadline", "00:00:00")]
    [InlineData("MaxReconnectBackoff", "-00:00:01")]
    public void Register_NonPositiveDuration_FailsNamingTheSetting(string setting, string value)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
        builder.Configuration["Sluice:Services:Backend:Address"] = "http://127.0.0.1:1";
        builder.Configuration[$"Sluice:Services:Backend:{setting}"] = value;

        var error = Assert.Throws<InvalidOperationException>(() => { builder.AddSluiceServiceClient<Health.HealthClient>("Backend", Grpc.Health.V1.Health.Descriptor); });

        Assert.Contains($"Sluice:Services:Backend:{setting}", error.Message);
    }

    [Fact]
    public void Register_UnknownIdempotentMethod_Refused()
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();

        var error = Assert.Throws<ArgumentException>(() => { builder.AddSluiceServiceClient<Health.HealthClient>("Backend", Grpc.Health.V1.Health.Descriptor, "Chek"); });

        Assert.Contains("Chek", error.Message);
    }

    private IHost BuildClientHost(string? deadline = null, string? address = null)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
        builder.Configuration["Sluice:Services:Backend:Address"] = address ?? _server.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        if (deadline is not null)
        {
            builder.Configuration["Sluice:Services:Backend:Deadline"] = deadline;
        }
        builder.AddSluiceServiceClient<Health.HealthClient>("Backend", Grpc.Health.V1.Health.Descriptor, "Check");
        return builder.Build();
    }

    private static Health.HealthClient Health(IHost host) =>
        host.Services.GetRequiredService<GrpcClientFactory>().CreateClient<Health.HealthClient>("Backend");

    /// <summary>Records each call's deadline and count, and fails the next <see cref="FailNext"/> calls with UNAVAILABLE.</summary>
    private sealed class CallRecorder : Interceptor
    {
        private int _failNext;

        public ConcurrentQueue<DateTime> Deadlines { get; } = new();

        public ConcurrentDictionary<string, int> Calls { get; } = new();

        public int FailNext { set => _failNext = value; }

        public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
        {
            Record(context);
            return continuation(request, context);
        }

        public override Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
        {
            Record(context);
            return continuation(request, responseStream, context);
        }

        private void Record(ServerCallContext context)
        {
            Deadlines.Enqueue(context.Deadline);
            Calls.AddOrUpdate(context.Method, 1, (_, n) => n + 1);
            if (Interlocked.Decrement(ref _failNext) >= 0)
            {
                throw new RpcException(new Status(StatusCode.Unavailable, "try again"));
            }
        }
    }
}
