using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Sluice.Gateway.Definitions;
using Sluice.Gateway.Mapping;
using Sluice.Vtl;

namespace Sluice.Gateway.Pipeline;

/// <summary>
/// Writes the gateway's own answers: API Gateway's status, <c>{"message": ...}</c> body and
/// x-amzn-ErrorType header, unless the API overrides the response type (or DEFAULT_4XX /
/// DEFAULT_5XX) with x-amazon-apigateway-gateway-responses.
/// </summary>
internal static class GatewayResponder
{
    public static async Task WriteAsync(HttpContext http, RequestContext? context, GatewayErrorKind kind, string? message, string? validationError, ILogger logger)
    {
        message ??= kind.Message;
        var response = http.Response;
        var status = kind.StatusCode;
        var body = "{\"message\":" + Quote(message) + "}";
        var contentType = "application/json";
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (context is not null)
        {
            context.SetError(kind, message, validationError);
            var responses = context.Stage.Api.GatewayResponses;
            if (responses.TryGetValue(kind.ResponseType, out var custom)
                || responses.TryGetValue(kind.StatusCode < 500 ? "DEFAULT_4XX" : "DEFAULT_5XX", out custom))
            {
                status = custom.StatusCode ?? status;
                foreach (var (target, source) in custom.ResponseParameters)
                {
                    const string prefix = "gatewayresponse.header.";
                    if (target.StartsWith(prefix, StringComparison.Ordinal) && ParameterSources.Resolve(source, context) is { } value)
                    {
                        headers[target[prefix.Length..]] = value;
                    }
                }
                if (custom.ResponseTemplates.Count > 0)
                {
                    var (mime, template) = TemplateSelection.ForResponse(custom.ResponseTemplates, http.Request.Headers.Accept);
                    try
                    {
                        body = template.Render(context.TemplateVariables(new InputVariable("", context.Parameters ?? EmptyParameters())), GatewayLimits.Templates);
                        contentType = mime;
                    }
                    catch (VtlException exception)
                    {
                        GatewayLog.TemplateFailed(logger, template.Name ?? kind.ResponseType, http.Request.Method, context.Method?.ResourcePath ?? http.Request.Path, context.RequestId, exception.Message);
                    }
                }
            }
        }
        response.StatusCode = status;
        response.ContentType = contentType;
        response.Headers["x-amzn-ErrorType"] = kind.ErrorType;
        if (context is not null)
        {
            response.Headers["x-amzn-RequestId"] = context.RequestId;
        }
        foreach (var (name, value) in headers)
        {
            response.Headers[name] = value;
        }
        var bytes = Encoding.UTF8.GetBytes(body);
        response.ContentLength = bytes.Length;
        await response.Body.WriteAsync(bytes, http.RequestAborted).ConfigureAwait(false);
    }

    private static RequestParameters EmptyParameters() => new([], [], new(StringComparer.OrdinalIgnoreCase), []);

    private static string Quote(string text) => System.Text.Json.JsonSerializer.Serialize(text);
}

/// <summary>The limits every template renders under. A breach answers 500 and is logged.</summary>
internal static class GatewayLimits
{
    public static readonly VtlLimits Templates = VtlLimits.Default;
}
