using Microsoft.Extensions.DependencyInjection;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Sluice.Validation.V1;

namespace Sluice.Host.Tests;

/// <summary>The README's first command: the four services in one process, each on its own port.</summary>
public sealed class AllInOneHostTests
{
    [Fact]
    public async Task Build_FourServices_EachAnswersHealthOnItsOwnPort()
    {
        await using var host = await HostUnderTest.StartAsync();
        var endpoints = host.Endpoints;

        Assert.Equal(["Gateway", "Ingestion", "Query", "Validation"], endpoints.Keys.Order());
        Assert.Equal(4, endpoints.Values.Select(e => e.Port).Distinct().Count());
        foreach (var (name, endpoint) in endpoints)
        {
            var health = new Health.HealthClient(host.ChannelTo(endpoint));
            var response = await health.CheckAsync(new HealthCheckRequest(), deadline: HostUnderTest.Deadline);
            Assert.True(response.Status == HealthCheckResponse.Types.ServingStatus.Serving, $"{name} is {response.Status}");
        }
    }

    [Fact]
    public async Task Build_Bus_ReportsNoUsageToMassTransit()
    {
        await using var host = await HostUnderTest.StartAsync();

        var usage = host.App.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<MassTransit.UsageTelemetryOptions>>().Value;

        Assert.False(usage.Enabled, "MassTransit's usage telemetry would call usage-tracking.masstransit.io");
    }

    [Fact]
    public async Task Build_UnknownMethodOnAServicePort_Unimplemented()
    {
        await using var host = await HostUnderTest.StartAsync();
        var channel = host.ChannelTo("Gateway");
        var unknown = new Method<HealthCheckRequest, HealthCheckResponse>(MethodType.Unary, "sluice.nothing.v1.Nothing", "Call",
            Marshallers.Create(m => m.ToByteArray(), HealthCheckRequest.Parser.ParseFrom), Marshallers.Create(m => m.ToByteArray(), HealthCheckResponse.Parser.ParseFrom));

        var error = await Assert.ThrowsAsync<RpcException>(async () =>
            await channel.CreateCallInvoker().AsyncUnaryCall(unknown, null, new CallOptions(deadline: HostUnderTest.Deadline), new HealthCheckRequest()));

        Assert.Equal(StatusCode.Unimplemented, error.StatusCode);
    }

    [Fact]
    public async Task Build_CertificateConfigured_ServiceSpeaksTls()
    {
        var certificatePath = Path.Combine(Path.GetTempPath(), $"sluice-host-test-{Guid.NewGuid():N}.pfx");
        using var key = System.Security.Cryptography.RSA.Create(2048);
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=localhost", key, System.Security.Cryptography.HashAlgorithmName.SHA256, System.Security.Cryptography.RSASignaturePadding.Pkcs1);
        using (var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1)))
        {
            await File.WriteAllBytesAsync(certificatePath, certificate.Export(System.Security.Cryptography.X509Certificates.X509ContentType.Pfx, "secret"));
        }
        string thumbprint;
        using (var loaded = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadPkcs12FromFile(certificatePath, "secret"))
        {
            thumbprint = loaded.GetCertHashString();
        }
        try
        {
            await using var host = await HostUnderTest.StartAsync(["--Sluice:Validation:CertificatePath=" + certificatePath, "--Sluice:Validation:CertificatePassword=secret"]);
            using var channel = GrpcChannel.ForAddress($"https://localhost:{host.Endpoints["Validation"].Port}", new GrpcChannelOptions
            {
                HttpHandler = new SocketsHttpHandler
                {
                    SslOptions = { RemoteCertificateValidationCallback = (_, cert, _, _) => cert?.GetCertHashString() == thumbprint },
                },
            });

            var response = await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest { Service = ValidationService.Descriptor.FullName }, deadline: HostUnderTest.Deadline);
            // The whole host too: its gateway reaches the validation listener over TLS, trusting
            // the listener's own self-signed certificate.
            var whole = await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest(), deadline: HostUnderTest.Deadline);

            Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, response.Status);
            Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, whole.Status);
        }
        finally
        {
            File.Delete(certificatePath);
        }
    }

    [Theory]
    [InlineData("--Sluice:Query:BindAddress=not-an-address", "BindAddress 'not-an-address' is not an IP address")]
    [InlineData("--Sluice:Gateway:CertificatePath=/nonexistent/sluice.pfx", "CertificatePath '/nonexistent/sluice.pfx' does not exist")]
    [InlineData("--Sluice:Broker:Transport=Carrier-Pigeon", "Sluice:Broker:Transport 'Carrier-Pigeon' is not supported")]
    [InlineData("--Sluice:Broker:StartTimeout=00:00:00", "Sluice:Broker:StartTimeout must be positive")]
    [InlineData("--Sluice:Broker:StartTimeout=soon", "Sluice:Broker:StartTimeout")]
    [InlineData("--Sluice:Grpc:MaxReceiveMessageSize=0", "Sluice:Grpc:MaxReceiveMessageSize and MaxSendMessageSize must be positive")]
    [InlineData("--Sluice:Grpc:MaxSendMessageSize=-1", "Sluice:Grpc:MaxReceiveMessageSize and MaxSendMessageSize must be positive")]
    [InlineData("--Sluice:Grpc:ResponseCompression=brotli", "Sluice:Grpc:ResponseCompression 'brotli' is not supported")]
    [InlineData("--Sluice:Admin:Port=70000", "Sluice:Admin:Port must be -1 (off), 0 (any free port) or a port number, not 70000")]
    [InlineData("--Sluice:Admin:Port=soon", "Sluice:Admin:Port")]
    [InlineData("--Sluice:Admin:BindAddress=nowhere", "Sluice:Admin:BindAddress 'nowhere' is not an IP address")]
    [InlineData("--Sluice:Gateway:ManagementPort=70000", "Sluice:Gateway:ManagementPort must be -1 (off), 0 (any free port) or a port number, not 70000")]
    [InlineData("--Sluice:Gateway:Private:Port=70000", "Sluice:Gateway:Private:Port must be -1 (off), 0 (any free port) or a port number, not 70000")]
    [InlineData("--Sluice:Gateway:GrpcProxy:BindAddress=nowhere", "Sluice:Gateway:GrpcProxy:BindAddress 'nowhere' is not an IP address")]
    [InlineData("--Sluice:Gateway:Store=Postgres", "Sluice:Gateway:PostgresConnectionString is required when Sluice:Gateway:Store is Postgres")]
    [InlineData("--Sluice:Gateway:Store=Cassandra", "Sluice:Gateway:Store")]
    [InlineData("--Sluice:Gateway:PostgresConnectionString=Hots=nowhere", "Sluice:Gateway:PostgresConnectionString is not an Npgsql connection string")]
    [InlineData("--Sluice:Gateway:StoreRefreshInterval=00:00:00", "Sluice:Gateway:StoreRefreshInterval must be from 100 ms to 1 hour")]
    [InlineData("--Sluice:Query:DataApiBindAddress=nowhere", "Sluice:Query:DataApiBindAddress 'nowhere' is not an IP address")]
    [InlineData("--Sluice:Query:Loading:RetryLimit=-1", "Sluice:Query:Loading:RetryLimit must be between 0 and 100")]
    [InlineData("--Sluice:Query:Loading:RetryInterval=-00:00:01", "Sluice:Query:Loading:RetryInterval must be between 0 and 1 hour")]
    [InlineData("--Sluice:Query:MaxSessions=-1", "Sluice:Query:MaxSessions is -1; it must be 0 (no sessions) or more")]
    [InlineData("--Sluice:Query:ShutdownDrain=-00:00:01", "Sluice:Query:ShutdownDrain must be between 0 and 10 minutes")]
    [InlineData("--Sluice:Query:ShutdownDrain=soon", "Sluice:Query:ShutdownDrain")]
    [InlineData("--Sluice:Query:State:Store=Cassandra", "Sluice:Query:State:Store")]
    [InlineData("--Sluice:Query:State:Store=Postgres", "Sluice:Query:State:Store is Postgres but Sluice:Query:State:ConnectionString is not set")]
    [InlineData("--Sluice:Query:State:ConnectionString=Hots=nowhere", "Sluice:Query:State:ConnectionString is not a valid Npgsql connection string")]
    [InlineData("--Sluice:Query:State:StartTimeout=00:00:00", "Sluice:Query:State:StartTimeout must be positive and at most 1 hour")]
    [InlineData("--Sluice:Query:Replicas:HeartbeatInterval=00:00:00", "Sluice:Query:Replicas:HeartbeatInterval must be positive and at most 5 minutes")]
    [InlineData("--Sluice:Query:Replicas:LeaseTimeout=00:00:10", "Sluice:Query:Replicas:LeaseTimeout must be at least 3 heartbeats")]
    [InlineData("--Sluice:Query:Replicas:CancelWait=-00:00:01", "Sluice:Query:Replicas:CancelWait must be between 0 and 5 minutes")]
    [InlineData("--Sluice:Query:Replicas:ShareResults=sometimes", "Sluice:Query:Replicas:ShareResults")]
    [InlineData("--Sluice:Gateway:GrpcProxy:MaxMessageBytes=0", "Sluice:Gateway:GrpcProxy:MaxMessageBytes must be from 1 byte to 64 MB")]
    [InlineData("--Sluice:Ingestion:Streams:MaxShards=0", "Sluice:Ingestion:Streams:MaxShards must be between 1 and 1024")]
    [InlineData("--Sluice:Ingestion:Streams:FlushInterval=00:00:00", "Sluice:Ingestion:Streams:FlushInterval must be at least 10 ms")]
    [InlineData("--Sluice:Ingestion:Triggers:PollInterval=00:00:00", "Sluice:Ingestion:Triggers:PollInterval must be at least 10 ms")]
    [InlineData("--Sluice:Ingestion:Triggers:MaxObjectBytes=0", "Sluice:Ingestion:Triggers:MaxObjectBytes must be between 1 and 1073741824")]
    [InlineData("--Sluice:Validation:ReferenceTableTimeout=00:00:00", "Sluice:Validation:ReferenceTableTimeout must be positive")]
    [InlineData("--Sluice:Telemetry:TraceSampleRatio=2", "Sluice:Telemetry:TraceSampleRatio must be between 0 and 1, not 2")]
    [InlineData("--Sluice:Telemetry:OtlpEndpoint=not-a-uri", "Sluice:Telemetry:OtlpEndpoint 'not-a-uri' is not an absolute URI")]
    [InlineData("--Sluice:Logging:Format=xml", "Sluice:Logging:Format 'xml' is not supported")]
    [InlineData("--Sluice:Health:Period=00:00:00", "Sluice:Health:Period and Timeout must be positive")]
    [InlineData("--Sluice:Services:Query:Address=not-a-uri", "Sluice:Services:Query:Address 'not-a-uri' is not an absolute URI")]
    [InlineData("--Sluice:Services:Validation:Deadline=00:00:00", "Sluice:Services:Validation:Deadline must be positive")]
    public async Task Build_BadConfiguration_FailsAtStartWithAClearMessage(string setting, string expected)
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await using var host = await HostUnderTest.StartAsync([setting]);
        });

        Assert.Contains(expected, error.ToString());
    }

    [Fact]
    public async Task Build_RabbitMqWithoutUri_FailsAtStartNamingTheSetting()
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await using var host = await HostUnderTest.StartAsync(["--Sluice:Broker:Transport=RabbitMq"]);
        });

        Assert.Contains("Sluice:Broker:RabbitMqUri is required", error.ToString());
    }

    [Fact]
    public async Task Start_RabbitMqUnreachable_FailsNamingTheBrokerInsteadOfServing()
    {
        // Nothing listens on a port just freed: the bus cannot connect, so the host must not start
        // serving (accepted statements would lose their events) but fail, saying which broker.
        var deadPort = FreeTcpPort();
        var error = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await using var host = await HostUnderTest.StartAsync(["--Sluice:Broker:Transport=RabbitMq",
                $"--Sluice:Broker:RabbitMqUri=amqp://guest:guest@127.0.0.1:{deadPort}/", "--Sluice:Broker:StartTimeout=00:00:03"]);
        });

        Assert.Contains($"Broker unreachable: guest@127.0.0.1:{deadPort}", error.Message);
    }

    [Fact]
    public async Task Start_GatewayPostgresUnreachable_FailsNamingTheSettingAndServer()
    {
        var deadPort = FreeTcpPort();
        var error = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await using var host = await HostUnderTest.StartAsync(["--Sluice:Gateway:Store=Postgres",
                $"--Sluice:Gateway:PostgresConnectionString=Host=127.0.0.1;Port={deadPort};Username=sluice;Password=sluice;Database=gateway;Timeout=5"]);
        });

        Assert.Contains($"The gateway's PostgreSQL store (Sluice:Gateway:PostgresConnectionString, 127.0.0.1:{deadPort}/gateway) cannot be used", error.ToString());
    }

    private static int FreeTcpPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
