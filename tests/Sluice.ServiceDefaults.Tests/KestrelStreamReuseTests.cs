using System.Collections.Concurrent;
using System.Net;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Sluice.ServiceDefaults.Kestrel;

namespace Sluice.ServiceDefaults.Tests;

/// <summary>
/// The state Kestrel's lost-response defect (dotnet/aspnetcore#53736) leaves behind, made on
/// purpose: a pooled HTTP/2 output producer marked scheduled after its response completed. On
/// plain Kestrel a request served on it never gets an answer; in a host with the Sluice service
/// defaults, the repair in front of every request clears the mark and the call is answered.
/// </summary>
public sealed class KestrelStreamReuseTests
{
    private const int Attempts = 20;

    [Fact]
    public async Task PlainKestrel_RequestOnAStaleScheduledStream_LosesItsResponse()
    {
        var served = new ConcurrentDictionary<string, object>();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ListenGrpc(IPAddress.Loopback, 0));
        await using var app = builder.Build();
        CaptureProducers(app, served);
        app.MapPost("/plain", http => http.Response.WriteAsync("ok"));
        await app.StartAsync();
        using var http = new HttpMessageInvoker(new SocketsHttpHandler { UseProxy = false });
        var address = $"http://127.0.0.1:{PortOf(app)}/plain";

        var stale = await ServeOneAndMarkItsStreamScheduledAsync(served, id => PlainCallAsync(http, address, id, TimeSpan.FromSeconds(30)));

        // Later requests land on the marked producer once Kestrel hands its pooled stream out again.
        for (var attempt = 0; attempt < Attempts; attempt++)
        {
            var id = Guid.NewGuid().ToString();
            var answered = await PlainCallAsync(http, address, id, TimeSpan.FromSeconds(3));
            if (ReferenceEquals(served[id], stale))
            {
                Assert.False(answered, "Kestrel answered on a stream marked scheduled: the defect the repair works around may be fixed (re-check dotnet/aspnetcore#53736).");
                return;
            }
            Assert.True(answered);
        }
        Assert.Fail($"No request was served on the marked stream in {Attempts} attempts.");
    }

    [Fact]
    public async Task SluiceHost_GrpcCallOnAStaleScheduledStream_IsAnsweredAndTheMarkCleared()
    {
        var served = new ConcurrentDictionary<string, object>();
        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.Configuration["Sluice:Admin:Port"] = "-1";
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ListenGrpc(IPAddress.Loopback, 0));
        builder.AddSluiceServiceDefaults();
        await using var app = builder.Build();
        CaptureProducers(app, served); // Runs after the repair, which the defaults put first.
        app.MapSluiceGrpcDefaults();
        await app.StartAsync();
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{PortOf(app)}");
        var health = new Health.HealthClient(channel);

        var stale = await ServeOneAndMarkItsStreamScheduledAsync(served, async id => await CheckAsync(health, id));

        for (var attempt = 0; attempt < Attempts; attempt++)
        {
            var id = Guid.NewGuid().ToString();
            Assert.True(await CheckAsync(health, id));
            if (ReferenceEquals(served[id], stale))
            {
                Assert.False(KestrelStreamReuseRepair.IsMarkedScheduled(stale));
                return;
            }
        }
        Assert.Fail($"No call was served on the marked stream in {Attempts} attempts.");
    }

    private static async Task<bool> CheckAsync(Health.HealthClient health, string id)
    {
        var reply = await health.CheckAsync(new HealthCheckRequest(), new Grpc.Core.Metadata { { "x-call", id } }, DateTime.UtcNow.AddSeconds(10));
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, reply.Status);
        return true;
    }

    /// <summary>Records which output producer served each request, keyed by its x-call header.</summary>
    private static void CaptureProducers(WebApplication app, ConcurrentDictionary<string, object> served) =>
        app.Use(async (http, next) =>
        {
            if (http.Request.Headers["x-call"].ToString() is { Length: > 0 } id && KestrelStreamReuseRepair.ProducerOf(http) is { } producer)
            {
                served[id] = producer;
            }
            await next(http);
        });

    /// <summary>Serves one request, waits for its stream to go back to Kestrel's pool, then marks its producer scheduled.</summary>
    private static async Task<object> ServeOneAndMarkItsStreamScheduledAsync(ConcurrentDictionary<string, object> served, Func<string, Task<bool>> call)
    {
        var id = Guid.NewGuid().ToString();
        Assert.True(await call(id));
        Assert.True(served.TryGetValue(id, out var producer),
            "Kestrel's HTTP/2 output producer was not found (its internals changed), so the repair is off: re-check dotnet/aspnetcore#53736 and KestrelStreamReuseRepair.");
        // The stream returns to Kestrel's pool shortly after its response completes.
        await Task.Delay(200);
        KestrelStreamReuseRepair.MarkScheduled(producer);
        return producer;
    }

    /// <summary>True when the response arrived within <paramref name="timeout"/>.</summary>
    private static async Task<bool> PlainCallAsync(HttpMessageInvoker http, string address, string id, TimeSpan timeout)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, address)
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new StringContent(""),
        };
        request.Headers.Add("x-call", id);
        using var timer = new CancellationTokenSource(timeout);
        try
        {
            using var response = await http.SendAsync(request, timer.Token);
            return await response.Content.ReadAsStringAsync(timer.Token) == "ok";
        }
        catch (OperationCanceledException) when (timer.IsCancellationRequested)
        {
            return false;
        }
    }

    private static int PortOf(WebApplication app) =>
        new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()).Port;
}
