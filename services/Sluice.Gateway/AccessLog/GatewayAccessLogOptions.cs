namespace Sluice.Gateway;

/// <summary>
/// Access logging, bound from "Sluice:Gateway:AccessLog", as a stage's accessLogSettings in API
/// Gateway: a format built from <c>$context</c> variables, one line per request, written in the
/// background to a file under the data folder and/or the logger category Sluice.Gateway.AccessLog.
/// Off unless a format is set.
/// </summary>
public sealed class GatewayAccessLogOptions
{
    /// <summary>
    /// The format of every stage without one of its own in <see cref="Stages"/>, e.g. API Gateway's
    /// CLF: <c>$context.identity.sourceIp - - [$context.requestTime] "$context.httpMethod $context.resourcePath $context.protocol" $context.status $context.responseLength $context.requestId</c>.
    /// A format starting with '{' is JSON: values are escaped for a JSON string. Empty (default): only the stages in <see cref="Stages"/> are logged.
    /// </summary>
    public string? Format { get; set; }

    /// <summary>Formats by stage, keyed "apiId/stage"; an empty format turns that stage's log off.</summary>
    public Dictionary<string, string> Stages { get; set; } = [];

    /// <summary>A file under Sluice:Gateway:DataDirectory the lines are appended to, e.g. "access.log". None by default.</summary>
    public string? File { get; set; }

    /// <summary>Also writes each line at Information to the logger category Sluice.Gateway.AccessLog. Defaults to false.</summary>
    public bool Logger { get; set; }

    /// <summary>Lines waiting to be written; when full, new lines are dropped and counted (a request never waits). Defaults to 10000.</summary>
    public int QueueCapacity { get; set; } = 10_000;

    /// <summary>The logger category of <see cref="Logger"/>.</summary>
    public const string Category = "Sluice.Gateway.AccessLog";

    internal bool Enabled => !string.IsNullOrEmpty(Format) || Stages.Values.Any(f => !string.IsNullOrEmpty(f));
}
