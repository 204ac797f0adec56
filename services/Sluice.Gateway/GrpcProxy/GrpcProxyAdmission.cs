using Grpc.Core;
using Microsoft.Extensions.Options;
using Sluice.Gateway.Plans;
using Sluice.Gateway.State;
using Sluice.Gateway.Storage;

namespace Sluice.Gateway.GrpcProxy;

/// <summary>
/// The REST pipeline's key and plan checks for a proxied call, in the same order: the API key
/// (UNAUTHENTICATED when missing, PERMISSION_DENIED when unknown, disabled or in no plan that
/// admits the proxy), the allow-list (PERMISSION_DENIED), the plan's throttle (per method when
/// the plan sets one for the call's "/package.Service/Method/POST", else the key's, shared with
/// REST), the account throttle, and the quota (RESOURCE_EXHAUSTED). An admitted call is counted
/// in the plan's usage, the same report as REST's.
/// </summary>
internal sealed class GrpcProxyAdmission(GatewayState state, ThrottleBuckets buckets, UsageMeter usage, GrpcProxyRoutes routes, IOptions<GatewayOptions> options)
{
    private readonly ThrottleLimit _account = new(options.Value.AccountThrottle.Rate, options.Value.AccountThrottle.Burst);
    private readonly HashSet<string> _plans = new(options.Value.GrpcProxy.UsagePlans, StringComparer.Ordinal);
    private volatile PlansByKey? _plansByKey;

    /// <summary>Null when the call may go on; otherwise the status that refuses it.</summary>
    public async ValueTask<Status?> AdmitAsync(string? presentedKey, GrpcProxyRoute route, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(presentedKey))
        {
            return new Status(StatusCode.Unauthenticated, "Missing API key: send it in the x-api-key metadata.");
        }
        var key = state.FindKey(presentedKey);
        if (key is null)
        {
            return new Status(StatusCode.PermissionDenied, "Forbidden: the API key in x-api-key is not valid.");
        }
        if (!key.Enabled)
        {
            return new Status(StatusCode.PermissionDenied, "Forbidden: the API key is disabled.");
        }
        if (PlanOf(key.Id) is not { } plan)
        {
            return new Status(StatusCode.PermissionDenied, _plans.Count == 0
                ? "Forbidden: the API key is in no usage plan."
                : "Forbidden: the API key is in no usage plan that admits the gRPC proxy (Sluice:Gateway:GrpcProxy:UsagePlans).");
        }
        if (!routes.IsAllowed(route))
        {
            return new Status(StatusCode.PermissionDenied, $"Forbidden: {route.Path} is not allowed through the gRPC proxy (Sluice:Gateway:GrpcProxy:AllowedMethods).");
        }
        var methodLimit = plan.ApiStages.SelectMany(s => s.MethodThrottles).Where(t => t.Key == route.ThrottleKey).Select(t => t.Value).FirstOrDefault();
        if (methodLimit is not null)
        {
            if (!buckets.TryTake(new ThrottleScope("grpc-key-method", plan.Id, key.Id, route.ThrottleKey), methodLimit))
            {
                return Throttled($"the usage plan's throttle for {route.Path}", methodLimit);
            }
        }
        else if (plan.Throttle is { } planLimit && !buckets.TryTake(new ThrottleScope("key", plan.Id, key.Id), planLimit))
        {
            // The same bucket as the key's REST requests: a plan's throttle is per key, whatever it calls.
            return Throttled("the usage plan's throttle", planLimit);
        }
        if (!buckets.TryTake(ThrottleScope.Account, _account))
        {
            return Throttled("the gateway's account throttle", _account);
        }
        if (!await usage.TryConsumeAsync(plan, key.Id, cancellationToken).ConfigureAwait(false))
        {
            var quota = plan.Quota!;
            return new Status(StatusCode.ResourceExhausted,
                $"Limit Exceeded: the usage plan's quota of {quota.Limit} requests per {quota.Period.ToString().ToUpperInvariant()} is spent.");
        }
        return null;
    }

    private static Status Throttled(string which, ThrottleLimit limit) => new(StatusCode.ResourceExhausted,
        $"Too Many Requests: {which} (rate {limit.Rate.ToString(System.Globalization.CultureInfo.InvariantCulture)}/s, burst {limit.Burst}) is exceeded.");

    /// <summary>The plan a key is metered under on the proxy: the oldest that holds it (and is admitted by configuration).</summary>
    private UsagePlanRecord? PlanOf(string keyId)
    {
        var snapshot = state.Snapshot;
        var current = _plansByKey;
        if (current is null || !ReferenceEquals(current.Snapshot, snapshot))
        {
            var byKey = new Dictionary<string, UsagePlanRecord>(StringComparer.Ordinal);
            foreach (var plan in snapshot.Plans.Values.Distinct().Where(p => _plans.Count == 0 || _plans.Contains(p.Id) || _plans.Contains(p.Name))
                .OrderBy(p => p.CreatedUnixMs).ThenBy(p => p.Id, StringComparer.Ordinal))
            {
                foreach (var id in plan.KeyIds)
                {
                    byKey.TryAdd(id, plan);
                }
            }
            current = new PlansByKey(snapshot, byKey);
            _plansByKey = current;
        }
        return current.Plans.GetValueOrDefault(keyId);
    }

    private sealed record PlansByKey(GatewaySnapshot Snapshot, Dictionary<string, UsagePlanRecord> Plans);
}
