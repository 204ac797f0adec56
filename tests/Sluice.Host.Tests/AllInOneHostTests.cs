using Grpc.Health.V1;
using Sluice.Grpc;

namespace Sluice.Host.Tests;

/// <summary>The README's first command: the four services in one process, each on its own port.</summary>
public sealed class AllInOneHostTests
{
    private static readonly string[] FreePorts =
    [
        "--Sluice:Gateway:GrpcPort=0", "--Sluice:Ingestion:GrpcPort=0", "--Sluice:Query:GrpcPort=0", "--Sluice:Validation:GrpcPort=0",
        "--Sluice:Query:DataDirectory=" + TempDirectory("query"),
        "--Sluice:Validation:DataDirectory=" + TempDirectory("validation"),
        "--Sluice:ObjectStore:LocalRoot=" + TempDirectory("objects"),
    ];

    private static string TempDirectory(string name) =>
        Path.Combine(Path.GetTempPath(), $"sluice-host-test-{Environment.ProcessId}", name);

    [Fact]
    public async Task Build_FourServices_EachAnswersHealthOnItsOwnPort()
    {
        await using var app = AllInOneHost.Build(FreePorts);
        await app.StartAsync();
        try
        {
            var endpoints = AllInOneHost.GetEndpoints(app);

            Assert.Equal(["Gateway", "Ingestion", "Query", "Validation"], endpoints.Keys.Order());
            Assert.Equal(4, endpoints.Values.Select(e => e.Port).Distinct().Count());
            foreach (var (name, endpoint) in endpoints)
            {
                using var channel = GrpcChannel.ForAddress($"http://{endpoint}");
                var health = new Health.HealthClient(channel);
                var response = await health.CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow.AddSeconds(20));
                Assert.True(response.Status == HealthCheckResponse.Types.ServingStatus.Serving, $"{name} is {response.Status}");
            }
        }
        finally
        {
            await app.StopAsync();
        }
    }

    [Fact]
    public async Task Build_UnknownMethodOnAServicePort_Unimplemented()
    {
        await using var app = AllInOneHost.Build(FreePorts);
        await app.StartAsync();
        try
        {
            var gateway = AllInOneHost.GetEndpoints(app)["Gateway"];
            using var channel = GrpcChannel.ForAddress($"http://{gateway}");
            var unknown = new Method<HealthCheckRequest, HealthCheckResponse>(MethodType.Unary, "sluice.nothing.v1.Nothing", "Call", HealthCheckRequest.Parser, HealthCheckResponse.Parser);

            var error = await Assert.ThrowsAsync<RpcException>(async () => await channel.CreateUnaryCall(unknown, new HealthCheckRequest(), new CallOptions(Deadline: DateTime.UtcNow.AddSeconds(20))));

            Assert.Equal(StatusCode.Unimplemented, error.StatusCode);
        }
        finally
        {
            await app.StopAsync();
        }
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
        await using var app = AllInOneHost.Build([.. FreePorts, "--Sluice:Validation:CertificatePath=" + certificatePath, "--Sluice:Validation:CertificatePassword=secret"]);
        await app.StartAsync();
        try
        {
            var validation = AllInOneHost.GetEndpoints(app)["Validation"];
            using var channel = GrpcChannel.ForAddress($"https://localhost:{validation.Port}", new GrpcChannelOptions
            {
                ServerCertificateValidation = (_, cert, _, _) => cert?.GetCertHashString() == thumbprint,
            });

            var response = await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow.AddSeconds(20));

            Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, response.Status);
        }
        finally
        {
            await app.StopAsync();
            File.Delete(certificatePath);
        }
    }

    [Theory]
    [InlineData("--Sluice:Query:BindAddress=not-an-address", "BindAddress 'not-an-address' is not an IP address")]
    [InlineData("--Sluice:Gateway:CertificatePath=/nonexistent/sluice.pfx", "CertificatePath '/nonexistent/sluice.pfx' does not exist")]
    [InlineData("--Sluice:Broker:Transport=Carrier-Pigeon", "Sluice:Broker:Transport 'Carrier-Pigeon' is not supported")]
    [InlineData("--Sluice:Broker:StartTimeout=00:00:00", "Sluice:Broker:StartTimeout must be positive")]
    [InlineData("--Sluice:Broker:StartTimeout=soon", "Sluice:Broker:StartTimeout")]
    public async Task Build_BadConfiguration_FailsAtStartWithAClearMessage(string setting, string expected)
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await using var app = AllInOneHost.Build([.. FreePorts, setting]);
            await app.StartAsync();
            await app.StopAsync();
        });

        Assert.Contains(expected, error.ToString());
    }

    [Fact]
    public async Task Build_RabbitMqWithoutUri_FailsAtStartNamingTheSetting()
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await using var app = AllInOneHost.Build([.. FreePorts, "--Sluice:Broker:Transport=RabbitMq"]);
            await app.StartAsync();
            await app.StopAsync();
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
            await using var app = AllInOneHost.Build([.. FreePorts, "--Sluice:Broker:Transport=RabbitMq",
                $"--Sluice:Broker:RabbitMqUri=amqp://guest:guest@127.0.0.1:{deadPort}/", "--Sluice:Broker:StartTimeout=00:00:03"]);
            await app.StartAsync();
            await app.StopAsync();
        });

        Assert.Contains($"Broker unreachable: guest@127.0.0.1:{deadPort}", error.Message);
    }

    private static int FreeTcpPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
