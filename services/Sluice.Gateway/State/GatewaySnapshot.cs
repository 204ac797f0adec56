using System.Collections.Frozen;
using Sluice.Gateway.Definitions;
using Sluice.Gateway.Storage;

namespace Sluice.Gateway.State;

/// <summary>A deployed stage: the API as deployed, its settings and its routes.</summary>
internal sealed record DeployedStage(ApiDefinition Api, StageRecord Stage, RouteTable Routes);

/// <summary>
/// Everything a request needs to know, immutable: replaced as a whole after each admin change,
/// so requests never lock or see half an update.
/// </summary>
internal sealed record GatewaySnapshot(
    FrozenDictionary<(string ApiId, string Stage), DeployedStage> Stages,
    FrozenDictionary<string, ApiKeyRecord> KeysByHash,
    FrozenDictionary<(string ApiId, string Stage, string KeyId), UsagePlanRecord> Plans)
{
    /// <summary>Some stage has access log settings of its own: without any (and no configured format) requests skip access logging.</summary>
    public bool HasStageAccessLogs { get; } = Stages.Values.Any(s => s.Stage.AccessLog is not null);

    /// <summary>
    /// <see cref="Stages"/> by API id, then stage name, for a lookup by the request path's spans
    /// (no string per request for either).
    /// </summary>
    private readonly FrozenDictionary<string, FrozenDictionary<string, DeployedStage>> _stagesByApi = Stages
        .GroupBy(s => s.Key.ApiId, StringComparer.Ordinal)
        .ToFrozenDictionary(g => g.Key, g => g.ToFrozenDictionary(s => s.Key.Stage, s => s.Value, StringComparer.Ordinal), StringComparer.Ordinal);

    /// <summary>The deployed stage named by <paramref name="apiId"/> and <paramref name="stage"/>, read from the request path.</summary>
    public bool TryGetStage(ReadOnlySpan<char> apiId, ReadOnlySpan<char> stage, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out DeployedStage? deployed)
    {
        deployed = null;
        return _stagesByApi.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(apiId, out var stages)
            && stages.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(stage, out deployed);
    }

    /// <summary>Keys of this snapshot already found by a presented value (see <see cref="GatewayState.FindKey"/>).</summary>
    public PresentedKeyCache PresentedKeys { get; } = new();

    public static readonly GatewaySnapshot Empty = new(
        FrozenDictionary<(string, string), DeployedStage>.Empty,
        FrozenDictionary<string, ApiKeyRecord>.Empty,
        FrozenDictionary<(string, string, string), UsagePlanRecord>.Empty);
}
