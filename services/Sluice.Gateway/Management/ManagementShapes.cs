using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Sluice.Gateway.Definitions;
using Sluice.Gateway.Storage;

namespace Sluice.Gateway.Management;

/// <summary>
/// The botocore model's output shapes (apigateway 2015-07-09) built from the gateway's records,
/// member names as the model spells them; timestamps as epoch seconds, rest-json's default.
/// </summary>
internal static class ManagementShapes
{
    public static JsonObject RestApi(ApiRecord api, ApiDefinition? definition = null)
    {
        var shape = new JsonObject
        {
            ["id"] = api.Id,
            ["name"] = api.Name,
            ["version"] = api.Version,
            ["createdDate"] = Seconds(api.CreatedUnixMs),
            ["endpointConfiguration"] = new JsonObject { ["types"] = new JsonArray("REGIONAL") },
            ["disableExecuteApiEndpoint"] = false,
        };
        if (definition is not null)
        {
            shape["apiKeySource"] = definition.KeySource == ApiKeySource.Authorizer ? "AUTHORIZER" : "HEADER";
        }
        return shape;
    }

    /// <summary>A resource's id: stable for its path, so ids survive a re-import of the same paths.</summary>
    public static string ResourceId(string path) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(path)))[..10];

    /// <summary>Every resource of the API: each method path and each of its parents up to "/".</summary>
    public static IReadOnlyList<(string Path, IReadOnlyList<MethodDefinition> Methods)> Resources(ApiDefinition definition)
    {
        var paths = new SortedDictionary<string, List<MethodDefinition>>(StringComparer.Ordinal) { ["/"] = [] };
        foreach (var method in definition.Methods)
        {
            var path = method.ResourcePath;
            if (!paths.TryGetValue(path, out var methods))
            {
                paths[path] = methods = [];
            }
            methods.Add(method);
            for (var parent = Parent(path); parent is not null; parent = Parent(parent))
            {
                paths.TryAdd(parent, []);
            }
        }
        return [.. paths.Select(p => (p.Key, (IReadOnlyList<MethodDefinition>)p.Value))];
    }

    public static JsonObject Resource(string path, IReadOnlyList<MethodDefinition> methods)
    {
        var shape = new JsonObject { ["id"] = ResourceId(path), ["path"] = path };
        if (Parent(path) is { } parent)
        {
            shape["parentId"] = ResourceId(parent);
            shape["pathPart"] = path[(path.LastIndexOf('/') + 1)..];
        }
        if (methods.Count > 0)
        {
            var resourceMethods = new JsonObject();
            foreach (var method in methods)
            {
                resourceMethods[method.HttpMethod] = new JsonObject
                {
                    ["httpMethod"] = method.HttpMethod,
                    ["authorizationType"] = "NONE",
                    ["apiKeyRequired"] = method.ApiKeyRequired,
                };
            }
            shape["resourceMethods"] = resourceMethods;
        }
        return shape;
    }

    public static JsonObject Method(MethodDefinition method)
    {
        var requestParameters = new JsonObject();
        foreach (var parameter in method.RequiredParameters)
        {
            requestParameters[$"method.request.{parameter.Location}.{parameter.Name}"] = true;
        }
        var shape = new JsonObject
        {
            ["httpMethod"] = method.HttpMethod,
            ["authorizationType"] = "NONE",
            ["apiKeyRequired"] = method.ApiKeyRequired,
            ["requestParameters"] = requestParameters,
            ["methodIntegration"] = Integration(method.Integration),
        };
        if (method.Validator.ValidateBody || method.Validator.ValidateParameters)
        {
            shape["requestValidatorId"] = (method.Validator.ValidateBody, method.Validator.ValidateParameters) switch
            {
                (true, true) => "body-and-params",
                (true, false) => "body-only",
                _ => "params-only",
            };
        }
        return shape;
    }

    private static JsonObject Integration(IntegrationDefinition integration)
    {
        var shape = new JsonObject
        {
            // GRPC and SQL are Sluice's own integration types (x-amazon-apigateway-integration with a grpc:// or sql uri).
            ["type"] = integration.Type switch
            {
                IntegrationType.Mock => "MOCK",
                IntegrationType.Http => "HTTP",
                IntegrationType.HttpProxy => "HTTP_PROXY",
                IntegrationType.Grpc => "GRPC",
                _ => "SQL",
            },
            ["httpMethod"] = integration.HttpMethod,
            ["requestParameters"] = StringMap(integration.RequestParameters),
            ["requestTemplates"] = StringMap(integration.RequestTemplates.ToDictionary(t => t.Key, t => t.Value.Source)),
            ["passthroughBehavior"] = integration.Passthrough switch
            {
                PassthroughBehavior.WhenNoTemplates => "WHEN_NO_TEMPLATES",
                PassthroughBehavior.Never => "NEVER",
                _ => "WHEN_NO_MATCH",
            },
            ["timeoutInMillis"] = (int)integration.Timeout.TotalMilliseconds,
        };
        if (integration.Uri is not null)
        {
            shape["uri"] = integration.Uri;
        }
        if (integration.CacheKeyParameters is { Count: > 0 } cacheKeys)
        {
            shape["cacheKeyParameters"] = new JsonArray([.. cacheKeys.Select(k => (JsonNode)k)]);
        }
        var responses = new JsonObject();
        foreach (var response in integration.Responses)
        {
            var status = response.StatusCode.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (responses.ContainsKey(status))
            {
                continue;
            }
            var item = new JsonObject
            {
                ["statusCode"] = status,
                ["responseParameters"] = StringMap(response.ResponseParameters),
                ["responseTemplates"] = StringMap(response.ResponseTemplates.ToDictionary(t => t.Key, t => t.Value.Source)),
            };
            if (!response.IsDefault)
            {
                item["selectionPattern"] = response.Pattern;
            }
            responses[status] = item;
        }
        shape["integrationResponses"] = responses;
        return shape;
    }

    public static JsonObject Deployment(DeploymentRecord deployment) => new()
    {
        ["id"] = deployment.Id,
        ["description"] = deployment.Description,
        ["createdDate"] = Seconds(deployment.CreatedUnixMs),
    };

    public static JsonObject Stage(StageRecord stage)
    {
        var methodSettings = new JsonObject();
        foreach (var (key, limit) in stage.MethodThrottles)
        {
            methodSettings[MethodSettingKey(key)] = new JsonObject { ["throttlingBurstLimit"] = limit.Burst, ["throttlingRateLimit"] = limit.Rate };
        }
        var shape = new JsonObject
        {
            ["deploymentId"] = stage.DeploymentId,
            ["stageName"] = stage.StageName,
            ["description"] = stage.Description,
            ["cacheClusterEnabled"] = stage.Cache?.Enabled ?? false,
            ["cacheClusterStatus"] = stage.Cache?.Enabled == true ? "AVAILABLE" : "NOT_AVAILABLE",
            ["methodSettings"] = methodSettings,
            ["variables"] = StringMap(stage.Variables),
            ["tracingEnabled"] = false,
            ["createdDate"] = Seconds(stage.CreatedUnixMs),
            ["lastUpdatedDate"] = Seconds(stage.CreatedUnixMs),
        };
        if (stage.Cache is { } cache)
        {
            shape["cacheClusterSize"] = Caching.StageCacheRules.ClusterSizeOf(cache);
        }
        if (stage.AccessLog is { } accessLog)
        {
            shape["accessLogSettings"] = new JsonObject { ["format"] = accessLog.Format, ["destinationArn"] = accessLog.DestinationArn };
        }
        return shape;
    }

    /// <summary>An API key; its value only when just created (only a hash of it is kept).</summary>
    public static JsonObject ApiKey(ApiKeyRecord key, string? value = null)
    {
        var shape = new JsonObject
        {
            ["id"] = key.Id,
            ["name"] = key.Name,
            ["description"] = key.Description,
            ["enabled"] = key.Enabled,
            ["createdDate"] = Seconds(key.CreatedUnixMs),
            ["lastUpdatedDate"] = Seconds(key.CreatedUnixMs),
            ["stageKeys"] = new JsonArray(),
        };
        if (value is not null)
        {
            shape["value"] = value;
        }
        return shape;
    }

    public static JsonObject UsagePlan(UsagePlanRecord plan)
    {
        var stages = new JsonArray();
        foreach (var stage in plan.ApiStages)
        {
            var item = new JsonObject { ["apiId"] = stage.ApiId, ["stage"] = stage.Stage };
            if (stage.MethodThrottles.Count > 0)
            {
                var throttles = new JsonObject();
                foreach (var (key, limit) in stage.MethodThrottles)
                {
                    throttles[key] = Throttle(limit);
                }
                item["throttle"] = throttles;
            }
            stages.Add(item);
        }
        var shape = new JsonObject { ["id"] = plan.Id, ["name"] = plan.Name, ["description"] = plan.Description, ["apiStages"] = stages };
        if (plan.Throttle is { } throttle)
        {
            shape["throttle"] = Throttle(throttle);
        }
        if (plan.Quota is { } quota)
        {
            shape["quota"] = new JsonObject { ["limit"] = quota.Limit, ["offset"] = quota.Offset, ["period"] = quota.Period.ToString().ToUpperInvariant() };
        }
        return shape;
    }

    public static JsonObject UsagePlanKey(ApiKeyRecord key) => new() { ["id"] = key.Id, ["type"] = "API_KEY", ["name"] = key.Name };

    public static JsonObject Throttle(ThrottleLimit limit) => new() { ["burstLimit"] = limit.Burst, ["rateLimit"] = limit.Rate };

    /// <summary>A list shape: "item" as the model's locationName, and "position" when there is a next page.</summary>
    public static JsonObject Page(IEnumerable<JsonNode> items, string? position)
    {
        var shape = new JsonObject { ["item"] = new JsonArray([.. items]) };
        if (position is not null)
        {
            shape["position"] = position;
        }
        return shape;
    }

    /// <summary>A method key ("/pets/{petId}/GET") as API Gateway keys methodSettings: the path with '/' written ~1 ("~1pets~1{petId}/GET"); "*/*" as is.</summary>
    private static string MethodSettingKey(string key)
    {
        var split = key.LastIndexOf('/');
        return key == "*/*" ? key : key[..split].Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal) + key[split..];
    }

    private static string? Parent(string path) => path == "/" ? null : path.LastIndexOf('/') is 0 ? "/" : path[..path.LastIndexOf('/')];

    private static JsonObject StringMap(IEnumerable<KeyValuePair<string, string>> map)
    {
        var shape = new JsonObject();
        foreach (var (key, value) in map)
        {
            shape[key] = value;
        }
        return shape;
    }

    private static long Seconds(long unixMs) => unixMs / 1000;
}
