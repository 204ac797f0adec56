using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Grpc.Health.V1;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Sluice.Interop;
using Sluice.Interop.V1;
using Sluice.ServiceDefaults;

namespace Sluice.Grpc.Tests.EndToEnd;

/// <summary>Behaviour of Sluice's client and server together that the interop scenarios do not cover.</summary>
public sealed class SluiceToSluiceTests
{
    private static DateTime Soon => DateTime.UtcNow.AddSeconds(30);

    [Fact]
    public async Task TlsListener_ClientTrustingTheCertificate_CallsOverHttp2()
    {
        using var certificate = CreateSelfSignedCertificate();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ListenGrpc(IPAddress.Loopback, 0, certificate));
        builder.Services.AddSluiceGrpc();
        builder.Services.AddSingleton<SleepProbes>();
        await using var app = builder.Build();
        app.MapGrpcService<InteropServiceImpl>();
        await app.StartAsync();
        var port = InteropServer.GetPort(app);

        var thumbprint = certificate.GetCertHashString();
        using var trusting = GrpcChannel.ForAddress($"https://localhost:{port}", new GrpcChannelOptions
        {
            ServerCertificateValidation = (_, cert, _, _) => cert is not null && cert.GetCertHashString() == thumbprint,
        });
        var response = await new InteropService.InteropServiceClient(trusting).UnaryEchoAsync(new EchoRequest { Message = "over tls" }, deadline: Soon);
        Assert.Equal("over tls", response.Message);

        // Without trusting the self-signed certificate the call must fail, not silently downgrade.
        using var strict = GrpcChannel.ForAddress($"https://localhost:{port}");
        var error = await Assert.ThrowsAsync<RpcException>(async () => await new InteropService.InteropServiceClient(strict).UnaryEchoAsync(new EchoRequest(), deadline: Soon));
        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        await app.StopAsync();
    }

    [Fact]
    public async Task Client_MoreCallsThanStreamsPerConnection_OpensMoreConnections()
    {
        const int calls = 6;
        await using var app = InteropServer.Build(0, configure: builder =>
            builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.Http2.MaxStreamsPerConnection = 2));
        await app.StartAsync();
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{InteropServer.GetPort(app)}");
        var client = new InteropService.InteropServiceClient(channel);
        using var stop = new CancellationTokenSource();

        var probes = Enumerable.Range(0, calls).Select(_ => Guid.NewGuid().ToString()).ToArray();
        var sleeping = probes.Select(id => client.SleepAsync(new SleepRequest { ProbeId = id, SleepMs = 20_000 }, deadline: Soon, cancellationToken: stop.Token)).ToArray();

        // Every Sleep must be running on the server at the same time: with only two streams per
        // connection that needs at least three connections.
        var started = 0;
        foreach (var id in probes)
        {
            var probe = await client.GetProbeAsync(new ProbeRequest { ProbeId = id, WaitMs = 0 }, deadline: Soon);
            var deadline = DateTime.UtcNow.AddSeconds(15);
            while (!probe.Found && DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
                probe = await client.GetProbeAsync(new ProbeRequest { ProbeId = id, WaitMs = 0 }, deadline: Soon);
            }
            started += probe.Found ? 1 : 0;
        }
        stop.Cancel();

        Assert.Equal(calls, started);
        foreach (var call in sleeping)
        {
            var error = await Assert.ThrowsAsync<RpcException>(async () => await call);
            Assert.Equal(StatusCode.Cancelled, error.StatusCode);
            call.Dispose();
        }
        await app.StopAsync();
    }

    [Fact]
    public async Task HealthWatch_HostStops_StreamsNotServing()
    {
        await using var app = InteropServer.Build(0,
            configure: builder => builder.AddSluiceServiceDefaults(),
            map: endpoints => endpoints.MapSluiceHealth(InteropService.Descriptor.FullName));
        await app.StartAsync();
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{InteropServer.GetPort(app)}");
        using var watch = new Health.HealthClient(channel).Watch(new HealthCheckRequest { Service = InteropService.Descriptor.FullName }, deadline: Soon);

        Assert.True(await watch.ResponseStream.MoveNext());
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, watch.ResponseStream.Current.Status);

        app.Services.GetRequiredService<HealthStatusTracker>().SetStatus(InteropService.Descriptor.FullName, HealthCheckResponse.Types.ServingStatus.NotServing);

        Assert.True(await watch.ResponseStream.MoveNext());
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, watch.ResponseStream.Current.Status);
        await app.StopAsync();
    }

    [Fact]
    public async Task Call_DeadlineAlreadyPassed_FailsWithoutSending()
    {
        using var channel = GrpcChannel.ForAddress("http://127.0.0.1:9"); // nothing listens; nothing may be sent
        var client = new InteropService.InteropServiceClient(channel);

        var error = await Assert.ThrowsAsync<RpcException>(async () => await client.UnaryEchoAsync(new EchoRequest(), deadline: DateTime.UtcNow.AddSeconds(-1)));

        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
    }

    [Fact]
    public async Task Call_NoServerListening_Unavailable()
    {
        using var channel = GrpcChannel.ForAddress("http://127.0.0.1:9");
        var client = new InteropService.InteropServiceClient(channel);

        var error = await Assert.ThrowsAsync<RpcException>(async () => await client.UnaryEchoAsync(new EchoRequest(), deadline: Soon));

        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
    }

    [Fact]
    public async Task NonGrpcRequest_GetsHttp415()
    {
        await using var app = InteropServer.Build(0);
        await app.StartAsync();
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false });
        using var request = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{InteropServer.GetPort(app)}/sluice.interop.v1.InteropService/UnaryEcho")
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json"),
        };

        using var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        await app.StopAsync();
    }

    [Fact]
    public async Task GetOnAGrpcMethod_GetsHttp405()
    {
        await using var app = InteropServer.Build(0);
        await app.StartAsync();
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false });
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{InteropServer.GetPort(app)}/sluice.interop.v1.InteropService/UnaryEcho")
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };

        using var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.Contains("POST", response.Content.Headers.Allow);
        await app.StopAsync();
    }

    private static X509Certificate2 CreateSelfSignedCertificate()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pfx), null);
    }
}
