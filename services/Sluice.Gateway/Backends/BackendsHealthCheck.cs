using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.ClientFactory;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;

namespace Sluice.Gateway.Backends;

/// <summary>A service the gateway routes to: its client name and its gRPC service name.</summary>
internal sealed record GatewayBackend(string Name, string ServiceName)
{
    public static readonly IReadOnlyList<GatewayBackend> All =
    [
        new("Query", Sluice.Query.V1.QueryService.Descriptor.FullName),
        new("Validation", Sluice.Validation.V1.ValidationService.Descriptor.FullName),
    ];
}

/// <summary>
/// Asks each backend's grpc.health.v1 whether its service is SERVING, over the same client the
/// gateway routes with. A backend that is down makes the gateway unhealthy: it cannot answer
/// the routes that need it. A backend with no address configured is only reported.
/// </summary>
internal sealed class BackendsHealthCheck(GrpcClientFactory clients, IHostApplicationLifetime lifetime) : IHealthCheck
{
    public const string Tag = "backends";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (!lifetime.ApplicationStarted.IsCancellationRequested)
        {
            // No client is made before the listeners are bound: the client factory keeps the first
            // address it resolves, and in the all-in-one host that would be port 0 for good.
            return HealthCheckResult.Degraded("Starting: the backends are checked once the host's listeners are bound.");
        }
        // In parallel: each unreachable backend spends its retries, and the check has one timeout.
        var answers = await Task.WhenAll(GatewayBackend.All.Select(backend => AskAsync(backend, cancellationToken))).ConfigureAwait(false);
        var problems = answers.Where(a => a.Problem is not null).Select(a => a.Problem).ToList();
        if (problems.Count > 0)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, string.Join("; ", problems));
        }
        var unconfigured = answers.Where(a => a.Unconfigured).Select(a => a.Backend.Name).ToList();
        return unconfigured.Count > 0
            ? HealthCheckResult.Degraded($"No address for {string.Join(", ", unconfigured)} (Sluice:Services:{{Name}}:Address).")
            : HealthCheckResult.Healthy();
    }

    private async Task<(GatewayBackend Backend, string? Problem, bool Unconfigured)> AskAsync(GatewayBackend backend, CancellationToken cancellationToken)
    {
        Health.HealthClient client;
        try
        {
            client = new Health.HealthClient(clients.CreateClient<BackendClient>(backend.Name).Invoker);
        }
        catch (InvalidOperationException)
        {
            return (backend, null, true);
        }
        try
        {
            var reply = await client.CheckAsync(new HealthCheckRequest { Service = backend.ServiceName }, cancellationToken: cancellationToken).ConfigureAwait(false);
            return (backend, reply.Status == HealthCheckResponse.Types.ServingStatus.Serving ? null : $"{backend.Name} is {reply.Status}", false);
        }
        catch (RpcException exception) when (!cancellationToken.IsCancellationRequested)
        {
            return (backend, $"{backend.Name} did not answer ({exception.StatusCode})", false);
        }
    }
}
