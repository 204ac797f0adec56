using Google.Protobuf;
using Google.Protobuf.Reflection;
using Grpc.Core;
using Sluice.Query.V1;
using V1Alpha = Grpc.Reflection.V1Alpha;

namespace Sluice.Host.Tests;

/// <summary>
/// Server reflection per listener: what grpcurl and GUI clients ask first. Each listener offers
/// only what it serves: its own service, health and reflection.
/// </summary>
public sealed class ReflectionTests(SharedHost fixture) : IClassFixture<SharedHost>
{
    private const string QueryServiceName = "sluice.query.v1.QueryService";
    private const string ValidationServiceName = "sluice.validation.v1.ValidationService";
    private const string GatewayServiceName = "sluice.gateway.v1.GatewayAdminService";
    private static readonly string[] Common = ["grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection"];

    private HostUnderTest Host => fixture.Host;

    [Theory]
    [InlineData("Query", QueryServiceName)]
    [InlineData("Validation", ValidationServiceName)]
    [InlineData("Gateway", GatewayServiceName)]
    [InlineData("Ingestion", "sluice.ingestion.v1.IngestionService")]
    public async Task ListServices_EachListener_ItsOwnServiceWithHealthAndReflectionOnly(string listener, string? own)
    {
        var response = await AskAsync(listener, new V1Alpha.ServerReflectionRequest { ListServices = "" });

        var listed = response.ListServicesResponse.Service.Select(s => s.Name).Order(StringComparer.Ordinal);
        Assert.Equal(Common.Concat(own is null ? [] : [own]).Order(StringComparer.Ordinal), listed);
    }

    [Fact]
    public async Task ListServices_QueryAndValidationListeners_NeitherOffersTheOther()
    {
        var query = await AskAsync("Query", new V1Alpha.ServerReflectionRequest { ListServices = "" });
        var validation = await AskAsync("Validation", new V1Alpha.ServerReflectionRequest { ListServices = "" });

        Assert.DoesNotContain(ValidationServiceName, query.ListServicesResponse.Service.Select(s => s.Name));
        Assert.DoesNotContain(QueryServiceName, validation.ListServicesResponse.Service.Select(s => s.Name));
    }

    [Fact]
    public async Task ListServices_V1OnTheQueryListener_SameAsV1Alpha()
    {
        var client = new Grpc.Reflection.V1.ServerReflection.ServerReflectionClient(Host.ChannelTo("Query"));
        using var call = client.ServerReflectionInfo(deadline: HostUnderTest.Deadline);
        await call.RequestStream.WriteAsync(new Grpc.Reflection.V1.ServerReflectionRequest { ListServices = "" });
        await call.RequestStream.CompleteAsync();
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None), "No reflection response.");
        var v1 = call.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name).Order(StringComparer.Ordinal).ToList();
        var v1Alpha = await AskAsync("Query", new V1Alpha.ServerReflectionRequest { ListServices = "" });

        Assert.Contains(QueryServiceName, v1);
        Assert.Equal(v1Alpha.ListServicesResponse.Service.Select(s => s.Name).Order(StringComparer.Ordinal), v1);
    }

    [Fact]
    public async Task FileContainingSymbol_QueryServiceOnTheQueryListener_DescriptorsThatBuildTheService()
    {
        var response = await AskAsync("Query", new V1Alpha.ServerReflectionRequest { FileContainingSymbol = QueryServiceName });

        Assert.Equal(V1Alpha.ServerReflectionResponse.MessageResponseOneofCase.FileDescriptorResponse, response.MessageResponseCase);
        var files = response.FileDescriptorResponse.FileDescriptorProto.Select(FileDescriptorProto.Parser.ParseFrom).ToList();
        Assert.Contains(files, f => f.Package == "sluice.query.v1" && f.Service.Any(s => s.Name == "QueryService"));
        // Together the files are complete: every import is among them, and they build.
        var built = FileDescriptor.BuildFromByteStrings(InDependencyOrder(files).Select(f => f.ToByteString()));
        var service = built.SelectMany(f => f.Services).Single(s => s.FullName == QueryServiceName);
        Assert.Equal(QueryService.Descriptor.Methods.Select(m => m.Name), service.Methods.Select(m => m.Name));
        Assert.Equal(
            QueryService.Descriptor.Methods.Select(m => (m.InputType.FullName, m.OutputType.FullName, m.IsClientStreaming, m.IsServerStreaming)),
            service.Methods.Select(m => (m.InputType.FullName, m.OutputType.FullName, m.IsClientStreaming, m.IsServerStreaming)));
    }

    [Fact]
    public async Task FileContainingSymbol_QueryServiceOnTheValidationListener_NotFound()
    {
        var response = await AskAsync("Validation", new V1Alpha.ServerReflectionRequest { FileContainingSymbol = QueryServiceName });

        Assert.Equal(V1Alpha.ServerReflectionResponse.MessageResponseOneofCase.ErrorResponse, response.MessageResponseCase);
        Assert.Equal((int)StatusCode.NotFound, response.ErrorResponse.ErrorCode);
    }

    /// <summary>One request on a reflection stream of <paramref name="listener"/>, and its answer.</summary>
    private async Task<V1Alpha.ServerReflectionResponse> AskAsync(string listener, V1Alpha.ServerReflectionRequest request)
    {
        var client = new V1Alpha.ServerReflection.ServerReflectionClient(Host.ChannelTo(listener));
        using var call = client.ServerReflectionInfo(deadline: HostUnderTest.Deadline);
        await call.RequestStream.WriteAsync(request);
        await call.RequestStream.CompleteAsync();
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None), "No reflection response.");
        var response = call.ResponseStream.Current;
        Assert.False(await call.ResponseStream.MoveNext(CancellationToken.None), "More than one reflection response to one request.");
        return response;
    }

    /// <summary>The files with every file after those it imports; fails if an import is missing.</summary>
    private static List<FileDescriptorProto> InDependencyOrder(IReadOnlyList<FileDescriptorProto> files)
    {
        var byName = files.ToDictionary(f => f.Name, StringComparer.Ordinal);
        var ordered = new List<FileDescriptorProto>();
        var placed = new HashSet<string>(StringComparer.Ordinal);
        void Place(FileDescriptorProto file)
        {
            if (!placed.Add(file.Name))
            {
                return;
            }
            foreach (var import in file.Dependency)
            {
                Assert.True(byName.TryGetValue(import, out var dependency), $"{file.Name} imports {import}, which reflection did not send.");
                Place(dependency);
            }
            ordered.Add(file);
        }
        foreach (var file in files)
        {
            Place(file);
        }
        return ordered;
    }
}

/// <summary>Reflection is a setting: a deployment that must not describe itself turns it off.</summary>
public sealed class ReflectionOffTests
{
    [Fact]
    public async Task ListServices_ReflectionTurnedOff_Unimplemented()
    {
        await using var host = await HostUnderTest.StartAsync(["--Sluice:Grpc:Reflection=false"]);
        var client = new V1Alpha.ServerReflection.ServerReflectionClient(host.ChannelTo("Query"));
        using var call = client.ServerReflectionInfo(deadline: HostUnderTest.Deadline);

        var error = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            await call.RequestStream.WriteAsync(new V1Alpha.ServerReflectionRequest { ListServices = "" });
            await call.RequestStream.CompleteAsync();
            await call.ResponseStream.MoveNext(CancellationToken.None);
        });

        Assert.Equal(StatusCode.Unimplemented, error.StatusCode);
        // The service itself still answers.
        var health = await new Grpc.Health.V1.Health.HealthClient(host.ChannelTo("Query")).CheckAsync(new Grpc.Health.V1.HealthCheckRequest(), deadline: HostUnderTest.Deadline);
        Assert.Equal(Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.Serving, health.Status);
    }
}
