namespace Sluice.Gateway;

/// <summary>
/// The gRPC proxy, bound from "Sluice:Gateway:GrpcProxy" (its port is Sluice:Gateway:GrpcProxyPort):
/// which methods internal callers may reach through it, which usage plans admit them, and limits.
/// </summary>
public sealed class GatewayGrpcProxyOptions
{
    /// <summary>The listener's address. Defaults to 127.0.0.1.</summary>
    public string BindAddress { get; set; } = "127.0.0.1";

    /// <summary>
    /// The methods that may be proxied: "package.Service/Method", or "package.Service/*" for every
    /// method of a service. Only services of the query, validation and ingestion packages can be
    /// named; the gateway's own admin service never can. Defaults to every method of the query and
    /// validation services (ingestion's are not proxied unless listed).
    /// </summary>
    public List<string> AllowedMethods { get; set; } = [];

    /// <summary>
    /// The usage plans (by id or name) whose keys may call through the proxy. Empty (default): a key
    /// in any usage plan may; a key in several plans is metered under the oldest one.
    /// </summary>
    public List<string> UsagePlans { get; set; } = [];

    /// <summary>The largest message passed either way; a larger one ends the call RESOURCE_EXHAUSTED. Defaults to 4 MB, as gRPC's own receive limit.</summary>
    public int MaxMessageBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>The allow-list used when <see cref="AllowedMethods"/> is empty.</summary>
    public static IReadOnlyList<string> DefaultAllowedMethods { get; } = ["sluice.query.v1.QueryService/*", "sluice.validation.v1.ValidationService/*"];

    internal IReadOnlyList<string> EffectiveAllowedMethods => AllowedMethods.Count > 0 ? AllowedMethods : DefaultAllowedMethods;
}
