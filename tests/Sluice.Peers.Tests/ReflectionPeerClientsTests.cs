using System.Text.Json;
using ServiceDescriptor = Google.Protobuf.Reflection.ServiceDescriptor;
using Grpc.Core;
using Grpc.Health.V1;
using Sluice.Query.V1;
using Sluice.Validation.V1;

namespace Sluice.Peers.Tests;

/// <summary>
/// Server reflection asked by real clients: grpc-js and grpcio stubs of the reflection protos
/// that @grpc/reflection ships, over both grpc.reflection.v1alpha and v1, on every listener. Each
/// listener must list only what it serves, and the descriptors it returns must be enough to build
/// a client and call the service with no compiled stubs, as grpcurl does.
/// </summary>
[Collection(SluiceHostCollection.Name)]
public sealed class ReflectionPeerClientsTests(SluiceHostFixture fixture)
{
    private const string V1Alpha = "grpc.reflection.v1alpha.ServerReflection";
    private const string V1 = "grpc.reflection.v1.ServerReflection";

    /// <summary>The reflection protocol versions the peers ask each listener with.</summary>
    private static readonly string[] Versions = ["v1alpha", "v1"];

    private static readonly string[] Everywhere = [Health.Descriptor.FullName, V1Alpha, V1];

    public static TheoryData<string> Languages => Peers.Languages;

    [Theory]
    [MemberData(nameof(Languages))]
    public async Task ListServices_QueryListener_QueryServiceHealthAndReflectionButNotValidation(string peer)
    {
        foreach (var (version, reflection) in await ReflectAsync(peer, "query"))
        {
            var services = Services(reflection);
            Assert.Contains(QueryService.Descriptor.FullName, services);
            Assert.DoesNotContain(ValidationService.Descriptor.FullName, services);
            Assert.True(services.SetEquals([.. Everywhere, QueryService.Descriptor.FullName]), $"{version}: {string.Join(", ", services)}");
        }
    }

    [Theory]
    [MemberData(nameof(Languages))]
    public async Task ListServices_ValidationListener_ValidationServiceHealthAndReflectionButNotQuery(string peer)
    {
        foreach (var (version, reflection) in await ReflectAsync(peer, "validation"))
        {
            var services = Services(reflection);
            Assert.Contains(ValidationService.Descriptor.FullName, services);
            Assert.DoesNotContain(QueryService.Descriptor.FullName, services);
            Assert.True(services.SetEquals([.. Everywhere, ValidationService.Descriptor.FullName]), $"{version}: {string.Join(", ", services)}");
        }
    }

    [Theory]
    [MemberData(nameof(Languages))]
    public async Task ListServices_GatewayAndIngestionListeners_TheirOwnServiceHealthAndReflectionOnly(string peer)
    {
        var own = new Dictionary<string, string>
        {
            ["gateway"] = Sluice.Gateway.V1.GatewayAdminService.Descriptor.FullName,
            ["ingestion"] = Sluice.Ingestion.V1.IngestionService.Descriptor.FullName,
        };
        foreach (var (listener, service) in own)
        {
            foreach (var (version, reflection) in await ReflectAsync(peer, listener))
            {
                var services = Services(reflection);
                Assert.True(services.SetEquals([.. Everywhere, service]), $"{listener} {version}: {string.Join(", ", services)}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Languages))]
    public async Task FileContainingSymbol_QueryService_DescriptorsBuildAClientThatExecutesAStatement(string peer)
    {
        foreach (var (version, reflection) in await ReflectAsync(peer, "query"))
        {
            var symbol = Symbol(reflection, QueryService.Descriptor);
            Assert.Contains("google/protobuf/timestamp.proto", Strings(symbol.GetProperty("files")));

            var call = symbol.GetProperty("dynamic_call");
            Assert.Equal("ExecuteStatement", call.GetProperty("method").GetString());
            Assert.True(call.GetProperty("status").GetString() == "OK", $"{version}: {call}");
            var id = call.GetProperty("response").GetProperty("id").GetString()!;
            // The statement the dynamically built client submitted ran as asked.
            var statement = await FinishedStatementAsync(id);
            Assert.Equal(StatementStatus.Finished, statement.Status);
            Assert.Equal("SELECT COUNT(*) AS n FROM sales WHERE amount > :min", statement.QueryString);
            Assert.Equal("dev", statement.Database);
            Assert.Equal(1, statement.ResultRows);
            var page = await new QueryService.QueryServiceClient(fixture.Host.Channel("Query"))
                .GetStatementResultAsync(new GetStatementResultRequest { Id = id }, deadline: DateTime.UtcNow.AddSeconds(30));
            Assert.Equal(28, page.Records[0].Fields[0].LongValue);
        }
    }

    [Theory]
    [MemberData(nameof(Languages))]
    public async Task FileContainingSymbol_ValidationService_DescriptorsBuildAClientThatValidatesADocument(string peer)
    {
        foreach (var (version, reflection) in await ReflectAsync(peer, "validation"))
        {
            var symbol = Symbol(reflection, ValidationService.Descriptor);
            Assert.Contains("google/protobuf/timestamp.proto", Strings(symbol.GetProperty("files")));

            var call = symbol.GetProperty("dynamic_call");
            Assert.Equal("ValidateDocument", call.GetProperty("method").GetString());
            Assert.True(call.GetProperty("status").GetString() == "OK", $"{version}: {call}");
            var response = call.GetProperty("response");
            // A JSON encoder leaves out fields at their default: valid = false may be absent.
            Assert.False(response.TryGetProperty("valid", out var valid) && valid.GetBoolean());
            var error = Assert.Single(response.GetProperty("errors").EnumerateArray());
            Assert.Equal("type", error.GetProperty("keyword").GetString());
        }
    }

    [Theory]
    [MemberData(nameof(Languages))]
    public async Task FileContainingSymbol_HealthAndReflectionOnEveryListener_DescriptorsMatchTheServices(string peer)
    {
        foreach (var listener in SluiceHost.Listeners)
        {
            foreach (var (version, reflection) in await ReflectAsync(peer, listener.ToLowerInvariant()))
            {
                var health = Symbol(reflection, Health.Descriptor);
                var check = health.GetProperty("dynamic_call");
                Assert.True(check.GetProperty("status").GetString() == "OK", $"{listener} {version}: {check}");
                Assert.Equal("SERVING", check.GetProperty("response").GetProperty("status").GetString());
                foreach (var reflectionService in new[] { global::Grpc.Reflection.V1Alpha.ServerReflection.Descriptor, global::Grpc.Reflection.V1.ServerReflection.Descriptor })
                {
                    Symbol(reflection, reflectionService);
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Languages))]
    public async Task FileContainingSymbol_UnknownSymbol_NotFoundOnEveryListener(string peer)
    {
        foreach (var listener in SluiceHost.Listeners)
        {
            foreach (var (version, reflection) in await ReflectAsync(peer, listener.ToLowerInvariant()))
            {
                Assert.True(reflection.GetProperty("unknown_symbol_error_code").GetInt32() == (int)StatusCode.NotFound, $"{listener} {version}: {reflection.GetProperty("unknown_symbol_error_code")}");
            }
        }
    }

    /// <summary>Each reflection version's observations on one listener; the stream itself must have ended OK.</summary>
    private async Task<List<(string Version, JsonElement Reflection)>> ReflectAsync(string peer, string listener)
    {
        var observed = (await fixture.RunAsync(peer, "reflection")).GetProperty(listener);
        var versions = new List<(string, JsonElement)>();
        foreach (var version in Versions)
        {
            var reflection = observed.GetProperty(version);
            Assert.True(reflection.GetProperty("status").GetString() == "OK", $"{listener} {version}: {reflection}");
            versions.Add((version, reflection));
        }
        return versions;
    }

    private static HashSet<string> Services(JsonElement reflection) => [.. Strings(reflection.GetProperty("services"))];

    /// <summary>
    /// What file_containing_symbol returned for <paramref name="service"/>, checked against the
    /// service's compiled descriptor: its file, its methods in order with their streaming shape,
    /// and that file_by_filename returns the same file.
    /// </summary>
    private static JsonElement Symbol(JsonElement reflection, ServiceDescriptor service)
    {
        var symbols = reflection.GetProperty("symbols");
        Assert.True(symbols.TryGetProperty(service.FullName, out var symbol), $"No file_containing_symbol answer for {service.FullName}: {symbols}");
        Assert.False(symbol.TryGetProperty("error_code", out var error), $"{service.FullName}: error {error}");
        var file = symbol.GetProperty("file").GetString()!;
        Assert.Equal(service.File.Name, file);
        Assert.Contains(file, Strings(symbol.GetProperty("files")));
        Assert.Equal(service.Methods.Select(m => m.Name), Strings(symbol.GetProperty("methods")));
        var streaming = symbol.GetProperty("streaming");
        foreach (var method in service.Methods)
        {
            var shape = streaming.GetProperty(method.Name).EnumerateArray().Select(flag => flag.GetBoolean()).ToList();
            Assert.Equal(new[] { method.IsClientStreaming, method.IsServerStreaming }, shape);
        }
        Assert.Contains(file, Strings(reflection.GetProperty("by_filename").GetProperty(file)));
        return symbol;
    }

    private async Task<DescribeStatementResponse> FinishedStatementAsync(string id)
    {
        var client = new QueryService.QueryServiceClient(fixture.Host.Channel("Query"));
        using (var watch = client.WatchStatement(new WatchStatementRequest { Id = id }, deadline: DateTime.UtcNow.AddSeconds(30)))
        {
            await foreach (var _ in watch.ResponseStream.ReadAllAsync())
            {
                // The server closes the stream after the terminal state.
            }
        }
        return await client.DescribeStatementAsync(new DescribeStatementRequest { Id = id }, deadline: DateTime.UtcNow.AddSeconds(30));
    }

    private static List<string> Strings(JsonElement array) => [.. array.EnumerateArray().Select(item => item.GetString()!)];
}
