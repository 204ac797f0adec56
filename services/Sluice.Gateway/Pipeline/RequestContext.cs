using System.Globalization;
using Sluice.Gateway.Definitions;
using Sluice.Gateway.Mapping;
using Sluice.Gateway.State;

namespace Sluice.Gateway.Pipeline;

/// <summary>
/// One request through the gateway: what was matched and the <c>$context</c> templates see.
/// <c>$context</c> is a map (Java Map semantics in templates), so a template's
/// <c>#set($context.responseOverride.status = 400)</c> lands where the pipeline reads it.
/// </summary>
internal sealed class RequestContext
{
    public RequestContext(DeployedStage stage, string requestId, string sourceIp, string httpMethod, string path, string protocol, string userAgent, DateTimeOffset now)
    {
        Stage = stage;
        RequestId = requestId;
        Identity = new Dictionary<string, object?>(6, StringComparer.Ordinal)
        {
            ["sourceIp"] = sourceIp,
            ["userAgent"] = userAgent,
            ["apiKey"] = null,
            ["apiKeyId"] = null,
            ["caller"] = null,
            ["user"] = null,
        };
        Error = new Dictionary<string, object?>(StringComparer.Ordinal);
        RequestOverride = new Dictionary<string, object?>(3, StringComparer.Ordinal)
        {
            ["header"] = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase),
            ["querystring"] = new Dictionary<string, object?>(StringComparer.Ordinal),
            ["path"] = new Dictionary<string, object?>(StringComparer.Ordinal),
        };
        ResponseOverride = new Dictionary<string, object?>(2, StringComparer.Ordinal)
        {
            ["header"] = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase),
            ["status"] = null,
        };
        Variables = new Dictionary<string, object?>(VariableCount, StringComparer.Ordinal)
        {
            ["requestId"] = requestId,
            ["extendedRequestId"] = requestId,
            ["apiId"] = stage.Api.Id,
            ["stage"] = stage.Stage.StageName,
            ["deploymentId"] = stage.Stage.DeploymentId,
            ["httpMethod"] = httpMethod,
            ["path"] = path,
            ["protocol"] = protocol,
            ["resourcePath"] = null,
            ["resourceId"] = null,
            ["requestTime"] = RequestTimeText(now),
            ["requestTimeEpoch"] = now.ToUnixTimeMilliseconds(),
            ["identity"] = Identity,
            ["authorizer"] = new Dictionary<string, object?>(StringComparer.Ordinal),
            ["error"] = Error,
            ["requestOverride"] = RequestOverride,
            ["responseOverride"] = ResponseOverride,
        };
        StageVariables = stage.Stage.Variables.ToDictionary(v => v.Key, v => (object?)v.Value, StringComparer.Ordinal);
    }

    // Sized up front: every request builds these maps, and growing them is most of their cost.
    private const int VariableCount = 17;

    // The CLF time of the last second seen: requests in the same second share the text.
    private static FormattedSecond? s_lastSecond;

    public DeployedStage Stage { get; }

    public string RequestId { get; }

    public MethodDefinition? Method { get; private set; }

    public Dictionary<string, object?> Variables { get; }

    public Dictionary<string, object?> Identity { get; }

    public Dictionary<string, object?> Error { get; }

    public Dictionary<string, object?> RequestOverride { get; }

    public Dictionary<string, object?> ResponseOverride { get; }

    public Dictionary<string, object?> StageVariables { get; }

    public RequestParameters? Parameters { get; set; }

    public void SetMethod(MethodDefinition method)
    {
        Method = method;
        Variables["resourcePath"] = method.ResourcePath;
        Variables["resourceId"] = method.ThrottleKey;
    }

    public void SetError(GatewayErrorKind kind, string message, string? validationError = null)
    {
        Error["message"] = message;
        Error["messageString"] = "\"" + UtilVariable.EscapeJavaScript(message).Replace("\\'", "'", StringComparison.Ordinal) + "\"";
        Error["responseType"] = kind.ResponseType;
        Error["validationErrorString"] = validationError;
    }

    private static string RequestTimeText(DateTimeOffset now)
    {
        var second = now.ToUnixTimeSeconds();
        if (Volatile.Read(ref s_lastSecond) is { } last && last.UnixSeconds == second)
        {
            return last.Text;
        }
        var text = now.ToUniversalTime().ToString("dd/MMM/yyyy:HH:mm:ss +0000", CultureInfo.InvariantCulture);
        Volatile.Write(ref s_lastSecond, new FormattedSecond(second, text));
        return text;
    }

    private sealed record FormattedSecond(long UnixSeconds, string Text);

    /// <summary>The variables a template renders with: $input, $context, $stageVariables, $util.</summary>
    public Dictionary<string, object?> TemplateVariables(InputVariable input) => new(4, StringComparer.Ordinal)
    {
        ["input"] = input,
        ["context"] = Variables,
        ["stageVariables"] = StageVariables,
        ["util"] = UtilVariable.Instance,
    };
}
