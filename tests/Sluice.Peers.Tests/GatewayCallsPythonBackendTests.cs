using System.Text.Json;
using Grpc.Health.V1;
using Sluice.Query.V1;
using Sluice.Validation.V1;
using ServingStatus = Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace Sluice.Peers.Tests;

/// <summary>
/// Sluice as a gRPC client of a real grpcio server: the gateway's service clients
/// (Grpc.Net.ClientFactory, Sluice:Services:{Name}:Address) pointed at Peers/health_server.py,
/// which plays both backends' grpc.health.v1. What the gateway makes of their health is read on
/// the host's own gateway listener.
/// </summary>
public sealed class GatewayCallsPythonBackendTests
{
    private static readonly string QueryServiceName = QueryService.Descriptor.FullName;
    private static readonly string ValidationServiceName = ValidationService.Descriptor.FullName;

    // A transition needs a health period (1 s here) plus a check run that may retry an
    // unreachable backend for a few seconds; the rest is slack for a loaded machine.
    private static readonly TimeSpan TransitionTimeout = TimeSpan.FromSeconds(45);

    [Fact]
    public async Task Check_BothBackendsServing_GatewayServingAndBackendsAskedForTheirServices()
    {
        await using var backend = await PythonHealthServer.StartAsync(QueryServiceName, ValidationServiceName);
        await using var host = await StartHostAsync(backend);

        Assert.Equal(ServingStatus.Serving, await CheckGatewayAsync(host, ""));

        var calls = await backend.CallsAsync();
        var services = calls.Where(c => c.GetProperty("method").GetString() == "Check").Select(c => c.GetProperty("service").GetString()).ToHashSet();
        Assert.Contains(QueryServiceName, services);
        Assert.Contains(ValidationServiceName, services);
    }

    [Theory]
    [InlineData("Query", "NOT_SERVING")]
    [InlineData("Validation", "NOT_SERVING")]
    [InlineData("Query", "UNKNOWN")]
    public async Task Watch_BackendFlipsToBadAndBack_GatewayNotServingThenServing(string backendName, string badStatus)
    {
        var service = backendName == "Query" ? QueryServiceName : ValidationServiceName;
        await using var backend = await PythonHealthServer.StartAsync(QueryServiceName, ValidationServiceName);
        await using var host = await StartHostAsync(backend);
        // One Watch for the whole test: the changes must reach a watcher that is already there.
        await using var watch = host.WatchHealth("Gateway", "");
        await watch.WaitForAsync(ServingStatus.Serving, TransitionTimeout);

        await backend.SetAsync(service, badStatus);
        await watch.WaitForAsync(ServingStatus.NotServing, TransitionTimeout);
        Assert.Equal(ServingStatus.NotServing, await CheckGatewayAsync(host, ""));

        await backend.SetAsync(service, "SERVING");
        await watch.WaitForAsync(ServingStatus.Serving, TransitionTimeout);
        Assert.Equal(ServingStatus.Serving, await CheckGatewayAsync(host, ""));
        // Consecutive repeats aside (a watcher that starts before the first published run hears
        // SERVING twice: the fresh result, then the publisher's), exactly these changes were heard.
        var changes = watch.Received.Where((status, i) => i == 0 || status != watch.Received[i - 1]);
        Assert.Equal([ServingStatus.Serving, ServingStatus.NotServing, ServingStatus.Serving], changes);
    }

    [Fact]
    public async Task Watch_BackendServerKilled_GatewayNotServingAndStillAnswering()
    {
        await using var backend = await PythonHealthServer.StartAsync(QueryServiceName, ValidationServiceName);
        await using var host = await StartHostAsync(backend);
        await using var watch = host.WatchHealth("Gateway", "");
        await watch.WaitForAsync(ServingStatus.Serving, TransitionTimeout);

        await backend.KillAsync();

        await watch.WaitForAsync(ServingStatus.NotServing, TransitionTimeout);
        // The gateway answers (NOT_SERVING is an answer, not an error), and what the host serves
        // itself is unaffected: the real query service in the host is still SERVING and working.
        Assert.Equal(ServingStatus.NotServing, await CheckGatewayAsync(host, ""));
        Assert.Equal(ServingStatus.Serving, await CheckAsync(host, "Query", QueryServiceName));
        var executed = await new QueryService.QueryServiceClient(host.Channel("Query"))
            .ExecuteStatementAsync(new ExecuteStatementRequest { Sql = "SELECT 1", Database = "dev" }, deadline: DateTime.UtcNow.AddSeconds(30));
        Assert.NotEmpty(executed.Id);
    }

    [Fact]
    public async Task Check_GatewayCallsBackend_SendsTheConfiguredDeadlineAsGrpcDotnet()
    {
        await using var backend = await PythonHealthServer.StartAsync(QueryServiceName, ValidationServiceName);
        await using var host = await StartHostAsync(backend, new Dictionary<string, string> { ["Sluice:Services:Query:Deadline"] = "00:00:07" });

        Assert.Equal(ServingStatus.Serving, await CheckGatewayAsync(host, ""));

        var calls = (await backend.CallsAsync()).Where(c => c.GetProperty("method").GetString() == "Check").ToList();
        Assert.NotEmpty(calls);
        Assert.All(calls, call => Assert.StartsWith("grpc-dotnet/", call.GetProperty("user_agent").GetString()));
        // The deadline the server saw (grpc-timeout) is the client's: 7 s for Query as configured,
        // the 30 s default for Validation. A call without one would report null.
        Assert.All(calls, call =>
        {
            var remaining = call.GetProperty("time_remaining");
            Assert.True(remaining.ValueKind == JsonValueKind.Number, $"A call came without a deadline: {call}");
            var limit = call.GetProperty("service").GetString() == QueryServiceName ? 7.0 : 30.0;
            Assert.InRange(remaining.GetDouble(), limit / 2, limit + 0.5);
        });
        Assert.Contains(calls, call => call.GetProperty("service").GetString() == QueryServiceName);
        Assert.Contains(calls, call => call.GetProperty("service").GetString() == ValidationServiceName);
    }

    private static Task<SluiceHost> StartHostAsync(PythonHealthServer backend, IReadOnlyDictionary<string, string>? settings = null)
    {
        var all = new Dictionary<string, string>
        {
            ["Sluice:Services:Query:Address"] = backend.Address,
            ["Sluice:Services:Validation:Address"] = backend.Address,
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            all[key] = value;
        }
        return SluiceHost.StartAsync(all);
    }

    private static Task<ServingStatus> CheckGatewayAsync(SluiceHost host, string service) => CheckAsync(host, "Gateway", service);

    private static async Task<ServingStatus> CheckAsync(SluiceHost host, string listener, string service) =>
        (await new Health.HealthClient(host.Channel(listener))
            .CheckAsync(new HealthCheckRequest { Service = service }, deadline: DateTime.UtcNow.AddSeconds(30))).Status;
}
