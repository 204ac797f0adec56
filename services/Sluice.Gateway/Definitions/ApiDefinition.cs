using System.Text.RegularExpressions;
using Sluice.JsonSchema;
using Sluice.Vtl;

namespace Sluice.Gateway.Definitions;

/// <summary>An API read from an OpenAPI document with API Gateway's extensions: immutable, shared by every request.</summary>
internal sealed record ApiDefinition(
    string Id,
    string Name,
    string Version,
    ApiKeySource KeySource,
    IReadOnlyList<MethodDefinition> Methods,
    IReadOnlyDictionary<string, GatewayResponseDefinition> GatewayResponses,
    IReadOnlyDictionary<string, CompiledSchema> Models,
    string Document);

/// <summary>Where the API key is read from (x-amazon-apigateway-api-key-source).</summary>
internal enum ApiKeySource
{
    Header,
    Authorizer,
}

/// <summary>One operation of the document: a resource path and an HTTP method.</summary>
internal sealed record MethodDefinition(
    string ResourcePath,
    string HttpMethod,
    bool ApiKeyRequired,
    RequestValidatorDefinition Validator,
    IReadOnlyList<RequiredParameter> RequiredParameters,
    IReadOnlyDictionary<string, CompiledSchema> BodyModels,
    IntegrationDefinition Integration)
{
    /// <summary>The key API Gateway uses for per-method throttles: "/pets/GET".</summary>
    public string ThrottleKey => ResourcePath + "/" + HttpMethod;
}

/// <summary>What a method's request validator checks (x-amazon-apigateway-request-validators).</summary>
internal sealed record RequestValidatorDefinition(bool ValidateBody, bool ValidateParameters)
{
    public static readonly RequestValidatorDefinition None = new(false, false);
}

/// <summary>A required request parameter; <see cref="Location"/> is path, querystring or header.</summary>
internal sealed record RequiredParameter(string Location, string Name);

internal enum IntegrationType
{
    Mock,
    Http,
    HttpProxy,
    Grpc,
    Sql,
}

internal enum PassthroughBehavior
{
    WhenNoMatch,
    WhenNoTemplates,
    Never,
}

/// <summary>x-amazon-apigateway-integration.</summary>
internal sealed record IntegrationDefinition(
    IntegrationType Type,
    string? Uri,
    string HttpMethod,
    IReadOnlyDictionary<string, string> RequestParameters,
    IReadOnlyDictionary<string, VtlTemplate> RequestTemplates,
    PassthroughBehavior Passthrough,
    TimeSpan Timeout,
    IReadOnlyList<IntegrationResponseDefinition> Responses,
    string? Sql,
    string? Database,
    IReadOnlyList<string>? CacheKeyParameters = null)
{
    /// <summary>The response whose pattern is "default" (or the first with no pattern), if any.</summary>
    public IntegrationResponseDefinition? DefaultResponse { get; } = Responses.FirstOrDefault(r => r.IsDefault);

    /// <summary>True when a response template needs the whole integration response body.</summary>
    public bool HasResponseTemplates { get; } = Responses.Any(r => r.ResponseTemplates.Count > 0);

    /// <summary>The first response whose selection pattern matches (a status code or an error message); null when none does.</summary>
    public IntegrationResponseDefinition? SelectResponse(string selector)
    {
        for (var i = 0; i < Responses.Count; i++)
        {
            var response = Responses[i];
            if (response.Selection?.IsMatch(selector) == true)
            {
                return response;
            }
        }
        return null;
    }
}

/// <summary>One entry of the integration's <c>responses</c>: a selection pattern and what the method returns.</summary>
internal sealed record IntegrationResponseDefinition(
    string Pattern,
    Regex? Selection,
    int StatusCode,
    IReadOnlyDictionary<string, string> ResponseParameters,
    IReadOnlyDictionary<string, VtlTemplate> ResponseTemplates)
{
    public bool IsDefault => Selection is null;
}

/// <summary>x-amazon-apigateway-gateway-responses: one response type overridden.</summary>
internal sealed record GatewayResponseDefinition(
    string Type,
    int? StatusCode,
    IReadOnlyDictionary<string, string> ResponseParameters,
    IReadOnlyDictionary<string, VtlTemplate> ResponseTemplates);
