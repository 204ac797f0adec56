using System.Collections.Frozen;
using System.Globalization;
using Sluice.Gateway.Definitions;
using Sluice.Gateway.Pipeline;
using Sluice.Gateway.State;
using Sluice.Gateway.Storage;
using Sluice.Gateway.V1;
using Sluice.Vtl;

namespace Sluice.Gateway.Mapping;

/// <summary>The RenderTemplate tool: one template against given inputs, with the variables a request would have.</summary>
internal static class TemplateRenderer
{
    /// <summary>The largest template accepted.</summary>
    public const int MaxTemplateChars = 300 * 1024;

    public static RenderTemplateResponse Render(RenderTemplateRequest request, TimeProvider time)
    {
        if (request.Template.Length > MaxTemplateChars)
        {
            throw new GatewayArgumentException("template", $"The template has {request.Template.Length} characters; at most {MaxTemplateChars} are accepted.");
        }
        var stageName = request.Context.GetValueOrDefault("stage") ?? "test-invoke-stage";
        var api = new ApiDefinition(request.Context.GetValueOrDefault("apiId") ?? "render", "", "", ApiKeySource.Header, [],
            FrozenDictionary<string, GatewayResponseDefinition>.Empty, FrozenDictionary<string, JsonSchema.CompiledSchema>.Empty, "");
        var stage = new StageRecord(api.Id, stageName, "render", "", request.StageVariables, FrozenDictionary<string, ThrottleLimit>.Empty, 0);
        var context = new RequestContext(new DeployedStage(api, stage, new RouteTable([])), request.Context.GetValueOrDefault("requestId") ?? Guid.NewGuid().ToString(),
            request.Context.GetValueOrDefault("identity.sourceIp") ?? "127.0.0.1", request.Context.GetValueOrDefault("httpMethod") ?? "GET",
            request.Context.GetValueOrDefault("path") ?? "/", "HTTP/1.1", request.Headers.GetValueOrDefault("User-Agent") ?? "", time.GetUtcNow());
        foreach (var (name, value) in request.Context)
        {
            Set(context.Variables, name, value);
        }
        context.Parameters = new RequestParameters(
            request.PathParameters.ToDictionary(p => p.Key, p => (object?)p.Value, StringComparer.Ordinal),
            request.QueryParameters.ToDictionary(p => p.Key, p => (object?)p.Value, StringComparer.Ordinal),
            request.Headers.ToDictionary(p => p.Key, p => (object?)p.Value, StringComparer.OrdinalIgnoreCase),
            request.QueryParameters.ToDictionary(p => p.Key, p => new List<string> { p.Value }, StringComparer.Ordinal));
        var response = new RenderTemplateResponse();
        try
        {
            var template = VtlTemplate.Parse(request.Template, "template");
            response.Output = template.Render(context.TemplateVariables(new InputVariable(request.Body, context.Parameters)), GatewayLimits.Templates);
        }
        catch (VtlException exception)
        {
            response.Error = new TemplateError { Message = exception.Message, Line = exception.Line, Column = exception.Column };
            return response;
        }
        Copy(context.RequestOverride["header"], response.RequestOverrideHeaders);
        Copy(context.RequestOverride["querystring"], response.RequestOverrideQuerystring);
        Copy(context.RequestOverride["path"], response.RequestOverridePath);
        Copy(context.ResponseOverride["header"], response.ResponseOverrideHeaders);
        if (context.ResponseOverride["status"] is { } status && int.TryParse(Convert.ToString(status, CultureInfo.InvariantCulture), out var code))
        {
            response.ResponseOverrideStatus = code;
        }
        return response;
    }

    private static void Set(Dictionary<string, object?> variables, string dottedName, string value)
    {
        var parts = dottedName.Split('.');
        var map = variables;
        for (var i = 0; i < parts.Length - 1; i++)
        {
            if (map.GetValueOrDefault(parts[i]) is not Dictionary<string, object?> inner)
            {
                inner = new Dictionary<string, object?>(StringComparer.Ordinal);
                map[parts[i]] = inner;
            }
            map = inner;
        }
        map[parts[^1]] = value;
    }

    private static void Copy(object? source, Google.Protobuf.Collections.MapField<string, string> target)
    {
        if (source is IDictionary<string, object?> map)
        {
            foreach (var (name, value) in map)
            {
                if (value is not null)
                {
                    target[name] = Convert.ToString(value, CultureInfo.InvariantCulture)!;
                }
            }
        }
    }
}
