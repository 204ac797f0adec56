using System.Globalization;
using Microsoft.AspNetCore.Http;
using Sluice.Gateway.Definitions;
using Sluice.Gateway.Mapping;
using Sluice.Gateway.State;
using Sluice.Vtl;

namespace Sluice.Gateway.Pipeline;

/// <summary>
/// One request through the gateway: what was matched and the <c>$context</c> templates see.
/// <c>$context</c> is a map (Java Map semantics in templates), so a template's
/// <c>#set($context.responseOverride.status = 400)</c> lands where the pipeline reads it. The map
/// and its nested maps are built only when something needs them whole (<see cref="IVtlLazyMap"/>):
/// a template reading <c>$context.stage</c> or <c>$context.requestId</c> gets the field, so most
/// requests build none of them.
/// </summary>
internal sealed class RequestContext : IVtlLazyMap
{
    // Sized up front: growing the maps is most of their cost.
    private const int VariableCount = 17;

    // The CLF time of the last second seen: requests in the same second share the text.
    private static FormattedSecond? s_lastSecond;

    private readonly string _httpMethod;
    private readonly string _protocol;
    private readonly DateTimeOffset _now;
    // From a live request, the source IP, user agent and resource path are made into strings only
    // when a template, mapping or access log reads them.
    private readonly HttpContext? _http;
    private readonly string _fullPath = "";
    private readonly int _resourceStart;
    private string? _sourceIp;
    private string? _path;
    private string? _userAgent;
    private string? _apiKey;
    private string? _apiKeyId;
    // A class, not a tuple held inline: most requests have no error, and the field stays one reference.
    private ErrorFacts? _error;
    private Dictionary<string, object?>? _variables;
    private Dictionary<string, object?>? _identity;
    private Dictionary<string, object?>? _errorMap;
    private Dictionary<string, object?>? _requestOverride;
    private Dictionary<string, object?>? _responseOverride;
    private Dictionary<string, object?>? _stageVariables;
    private TemplateInputs? _templateInputs;

    public RequestContext(DeployedStage stage, string requestId, string sourceIp, string httpMethod, string path, string protocol, string userAgent, DateTimeOffset now)
    {
        Stage = stage;
        RequestId = requestId;
        _sourceIp = sourceIp;
        _httpMethod = httpMethod;
        _path = path;
        _protocol = protocol;
        _userAgent = userAgent;
        _now = now;
    }

    /// <summary>A request that arrived: <paramref name="fullPath"/> from <paramref name="resourceStart"/> on is the resource path.</summary>
    public RequestContext(DeployedStage stage, string requestId, HttpContext http, string fullPath, int resourceStart, DateTimeOffset now)
    {
        Stage = stage;
        RequestId = requestId;
        _http = http;
        _httpMethod = http.Request.Method;
        _protocol = http.Request.Protocol;
        _fullPath = fullPath;
        _resourceStart = resourceStart;
        _now = now;
    }

    /// <summary>$context.path: the resource path, with its leading slash.</summary>
    public string ResourcePath => _path ??= _resourceStart < _fullPath.Length ? _fullPath[_resourceStart..] : "/";

    private string SourceIp => _sourceIp ??= _http?.Connection.RemoteIpAddress?.ToString() ?? "";

    private string UserAgent => _userAgent ??= _http?.Request.Headers.UserAgent.ToString() ?? "";

    public DeployedStage Stage { get; }

    public string RequestId { get; }

    public MethodDefinition? Method { get; private set; }

    /// <summary>$context as a map, built on first use.</summary>
    public Dictionary<string, object?> Variables => _variables ?? BuildVariables();

    public Dictionary<string, object?> Identity => Built(ref _identity);

    public Dictionary<string, object?> RequestOverride => Built(ref _requestOverride);

    public Dictionary<string, object?> ResponseOverride => Built(ref _responseOverride);

    /// <summary>$context.requestOverride when $context was built (a template may have set overrides); null when nothing could have.</summary>
    public Dictionary<string, object?>? RequestOverrideIfBuilt => _requestOverride;

    /// <summary>$context.responseOverride when $context was built; null when nothing could have set one.</summary>
    public Dictionary<string, object?>? ResponseOverrideIfBuilt => _responseOverride;

    /// <summary>$stageVariables: a copy of the stage's, made on first use (a template may change it).</summary>
    public Dictionary<string, object?> StageVariables => _stageVariables ??= CopyStageVariables();

    public RequestParameters? Parameters { get; set; }

    /// <summary>$context.identity.apiKey: the key the caller presented.</summary>
    public string? ApiKey
    {
        set
        {
            _apiKey = value;
            _identity?["apiKey"] = value;
        }
    }

    /// <summary>$context.identity.apiKeyId: the id of the key the request was admitted with.</summary>
    public string? ApiKeyId
    {
        set
        {
            _apiKeyId = value;
            _identity?["apiKeyId"] = value;
        }
    }

    /// <summary>A stage variable's value, without copying them all.</summary>
    public string? StageVariable(string name) =>
        _stageVariables is not null ? _stageVariables.GetValueOrDefault(name) as string : Stage.Stage.Variables.GetValueOrDefault(name);

    public void SetMethod(MethodDefinition method)
    {
        Method = method;
        if (_variables is not null)
        {
            _variables["resourcePath"] = method.ResourcePath;
            _variables["resourceId"] = method.ThrottleKey;
        }
    }

    public void SetError(GatewayErrorKind kind, string message, string? validationError = null)
    {
        _error = new ErrorFacts(message, "\"" + UtilVariable.EscapeJavaScript(message).Replace("\\'", "'", StringComparison.Ordinal) + "\"", kind.ResponseType, validationError);
        if (_errorMap is not null)
        {
            FillError(_errorMap);
        }
    }

    /// <summary>The plain fields of $context, read without building the map (or from it, once built).</summary>
    public bool TryGetWithoutBuilding(string name, out object? value)
    {
        if (_variables is not null)
        {
            value = _variables.GetValueOrDefault(name);
            return true;
        }
        value = name switch
        {
            "requestId" or "extendedRequestId" => RequestId,
            "apiId" => Stage.Api.Id,
            "stage" => Stage.Stage.StageName,
            "deploymentId" => Stage.Stage.DeploymentId,
            "httpMethod" => _httpMethod,
            "path" => ResourcePath,
            "protocol" => _protocol,
            "resourcePath" => Method?.ResourcePath,
            "resourceId" => Method?.ThrottleKey,
            "requestTime" => RequestTimeText(_now),
            "requestTimeEpoch" => _now.ToUnixTimeMilliseconds(),
            _ => null,
        };
        // Nested maps (identity, error, overrides, authorizer) and names set by a template need the map.
        return value is not null;
    }

    public IDictionary<string, object?> Build() => Variables;

    /// <summary>The variables a template renders with: $input, $context, $stageVariables, $util.</summary>
    /// <remarks>One view per request, its $input replaced for each render: a request's renders run one after another.</remarks>
    public IReadOnlyDictionary<string, object?> TemplateVariables(InputVariable input)
    {
        var inputs = _templateInputs ??= new TemplateInputs(this);
        inputs.Input = input;
        return inputs;
    }

    private Dictionary<string, object?> Built(ref Dictionary<string, object?>? nested)
    {
        if (_variables is null)
        {
            BuildVariables();
        }
        return nested!;
    }

    private Dictionary<string, object?> BuildVariables()
    {
        _identity = new Dictionary<string, object?>(6, StringComparer.Ordinal)
        {
            ["sourceIp"] = SourceIp,
            ["userAgent"] = UserAgent,
            ["apiKey"] = _apiKey,
            ["apiKeyId"] = _apiKeyId,
            ["caller"] = null,
            ["user"] = null,
        };
        _errorMap = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (_error is not null)
        {
            FillError(_errorMap);
        }
        _requestOverride = new Dictionary<string, object?>(3, StringComparer.Ordinal)
        {
            ["header"] = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase),
            ["querystring"] = new Dictionary<string, object?>(StringComparer.Ordinal),
            ["path"] = new Dictionary<string, object?>(StringComparer.Ordinal),
        };
        _responseOverride = new Dictionary<string, object?>(2, StringComparer.Ordinal)
        {
            ["header"] = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase),
            ["status"] = null,
        };
        return _variables = new Dictionary<string, object?>(VariableCount, StringComparer.Ordinal)
        {
            ["requestId"] = RequestId,
            ["extendedRequestId"] = RequestId,
            ["apiId"] = Stage.Api.Id,
            ["stage"] = Stage.Stage.StageName,
            ["deploymentId"] = Stage.Stage.DeploymentId,
            ["httpMethod"] = _httpMethod,
            ["path"] = ResourcePath,
            ["protocol"] = _protocol,
            ["resourcePath"] = Method?.ResourcePath,
            ["resourceId"] = Method?.ThrottleKey,
            ["requestTime"] = RequestTimeText(_now),
            ["requestTimeEpoch"] = _now.ToUnixTimeMilliseconds(),
            ["identity"] = _identity,
            ["authorizer"] = new Dictionary<string, object?>(StringComparer.Ordinal),
            ["error"] = _errorMap,
            ["requestOverride"] = _requestOverride,
            ["responseOverride"] = _responseOverride,
        };
    }

    private void FillError(Dictionary<string, object?> map)
    {
        var (message, messageString, responseType, validationError) = _error!;
        map["message"] = message;
        map["messageString"] = messageString;
        map["responseType"] = responseType;
        map["validationErrorString"] = validationError;
    }

    private Dictionary<string, object?> CopyStageVariables()
    {
        var variables = new Dictionary<string, object?>(Stage.Stage.Variables.Count, StringComparer.Ordinal);
        foreach (var (name, value) in Stage.Stage.Variables)
        {
            variables[name] = value;
        }
        return variables;
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

    /// <summary>$context.error's fields.</summary>
    private sealed record ErrorFacts(string Message, string MessageString, string ResponseType, string? ValidationError);

    /// <summary>
    /// The four variables a template reads, without a dictionary per render: a template only looks
    /// them up (what it #sets goes to its own locals).
    /// </summary>
    private sealed class TemplateInputs(RequestContext context) : IReadOnlyDictionary<string, object?>
    {
        public InputVariable? Input { get; set; }

        private static readonly string[] Names = ["input", "context", "stageVariables", "util"];

        public int Count => Names.Length;

        public IEnumerable<string> Keys => Names;

        public IEnumerable<object?> Values => Names.Select(n => this[n]);

        public object? this[string key] => TryGetValue(key, out var value) ? value : throw new KeyNotFoundException(key);

        public bool ContainsKey(string key) => Array.IndexOf(Names, key) >= 0;

        public bool TryGetValue(string key, out object? value)
        {
            value = key switch
            {
                "input" => Input,
                "context" => context._variables ?? (object)context,
                "stageVariables" => context._stageVariables ?? (object)new LazyStageVariables(context),
                "util" => UtilVariable.Instance,
                _ => null,
            };
            return value is not null;
        }

        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => Names.Select(n => KeyValuePair.Create(n, this[n])).GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }

    /// <summary>$stageVariables until a template needs the map: reading one is a lookup in the stage's own.</summary>
    private sealed class LazyStageVariables(RequestContext context) : IVtlLazyMap
    {
        public bool TryGetWithoutBuilding(string name, out object? value)
        {
            value = context.StageVariable(name);
            return true;
        }

        public IDictionary<string, object?> Build() => context.StageVariables;
    }
}
