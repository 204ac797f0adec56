using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Sluice.Grpc.Server;
using Sluice.Interop;
using Sluice.Interop.V1;

namespace Sluice.Grpc.Tests.EndToEnd;

/// <summary>
/// The state Kestrel's lost-response defect (dotnet/aspnetcore#53736) leaves behind, made on
/// purpose: a pooled HTTP/2 output producer marked scheduled after its response completed. A plain
/// Kestrel endpoint served on it never answers; a Sluice gRPC call served on it does.
/// </summary>
public sealed class KestrelStreamReuseTests
{
    private const int Attempts = 20;

    [Fact]
    public async Task PlainEndpointOnAStaleScheduledStream_LosesItsResponse()
    {
        var served = new ConcurrentDictionary<string, object>();
        await using var app = InteropServer.Build(0, map: app =>
        {
            CaptureProducers(app, served);
            app.MapPost("/plain", http => http.Response.WriteAsync("ok"));
        });
        await app.StartAsync();
        using var http = new HttpMessageInvoker(new SocketsHttpHandler { UseProxy = false });
        var address = $"http://127.0.0.1:{InteropServer.GetPort(app)}/plain";

        var stale = await ServeOneAndMarkItsStreamScheduledAsync(served, id => PlainCallAsync(http, address, id, TimeSpan.FromSeconds(30)));

        // Later requests land on the marked producer once Kestrel hands its pooled stream out again.
        for (var attempt = 0; attempt < Attempts; attempt++)
        {
            var id = Guid.NewGuid().ToString();
            var answered = await PlainCallAsync(http, address, id, TimeSpan.FromSeconds(3));
            if (ReferenceEquals(served[id], stale))
            {
                Assert.False(answered, "Kestrel answered on a stream marked scheduled: the defect this repair works around may be fixed.");
                return;
            }
            Assert.True(answered);
        }
        Assert.Fail($"No request was served on the marked stream in {Attempts} attempts.");
    }

    [Fact]
    public async Task GrpcCallOnAStaleScheduledStream_IsAnsweredAndTheMarkCleared()
    {
        var served = new ConcurrentDictionary<string, object>();
        await using var app = InteropServer.Build(0, map: app => CaptureProducers(app, served));
        await app.StartAsync();
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{InteropServer.GetPort(app)}");
        var client = new InteropService.InteropServiceClient(channel);

        var stale = await ServeOneAndMarkItsStreamScheduledAsync(served, id => EchoAsync(client, id));

        for (var attempt = 0; attempt < Attempts; attempt++)
        {
            var id = Guid.NewGuid().ToString();
            Assert.Equal(id, (await client.UnaryEchoAsync(new EchoRequest { Message = id }, new Metadata { { "x-call", id } }, DateTime.UtcNow.AddSeconds(10))).Message);
            if (ReferenceEquals(served[id], stale))
            {
                Assert.False(KestrelStreamReuseRepair.IsMarkedScheduled(stale));
                return;
            }
        }
        Assert.Fail($"No call was served on the marked stream in {Attempts} attempts.");
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
        await Task.Delay(200);
        KestrelStreamReuseRepair.MarkScheduled(producer);
        return producer;
    }

    private static async Task<bool> EchoAsync(InteropService.InteropServiceClient client, string id) =>
        (await client.UnaryEchoAsync(new EchoRequest { Message = id }, new Metadata { { "x-call", id } }, DateTime.UtcNow.AddSeconds(10))).Message == id;

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
}
