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
        Identity = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["sourceIp"] = sourceIp,
            ["userAgent"] = userAgent,
            ["apiKey"] = null,
            ["apiKeyId"] = null,
            ["caller"] = null,
            ["user"] = null,
        };
        Error = new Dictionary<string, object?>(StringComparer.Ordinal);
        RequestOverride = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["header"] = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase),
            ["querystring"] = new Dictionary<string, object?>(StringComparer.Ordinal),
            ["path"] = new Dictionary<string, object?>(StringComparer.Ordinal),
        };
        ResponseOverride = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["header"] = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase),
            ["status"] = null,
        };
        Variables = new Dictionary<string, object?>(StringComparer.Ordinal)
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
            ["requestTime"] = now.ToString("dd/MMM/yyyy:HH:mm:ss +0000", CultureInfo.InvariantCulture),
            ["requestTimeEpoch"] = now.ToUnixTimeMilliseconds(),
            ["identity"] = Identity,
            ["authorizer"] = new Dictionary<string, object?>(StringComparer.Ordinal),
            ["error"] = Error,
            ["requestOverride"] = RequestOverride,
            ["responseOverride"] = ResponseOverride,
        };
        StageVariables = stage.Stage.Variables.ToDictionary(v => v.Key, v => (object?)v.Value, StringComparer.Ordinal);
    }

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

    /// <summary>The variables a template renders with: $input, $context, $stageVariables, $util.</summary>
    public Dictionary<string, object?> TemplateVariables(InputVariable input) => new(StringComparer.Ordinal)
    {
        ["input"] = input,
        ["context"] = Variables,
        ["stageVariables"] = StageVariables,
        ["util"] = UtilVariable.Instance,
    };
}
