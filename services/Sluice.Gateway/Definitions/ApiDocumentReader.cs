using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.OpenApi;
using Microsoft.OpenApi.Reader;
using Sluice.JsonSchema;
using Sluice.Vtl;

namespace Sluice.Gateway.Definitions;

/// <summary>
/// Reads an OpenAPI 3.0 document (JSON or YAML) with API Gateway's extensions into an
/// <see cref="ApiDefinition"/>. Microsoft.OpenApi parses and checks the OpenAPI part; this class
/// then walks the normalized document for the extensions, collecting every problem (path in the
/// document and what is wrong) before it gives up, so a user fixes a document in one round.
/// </summary>
internal static class ApiDocumentReader
{
    /// <summary>The largest document accepted. API Gateway's own import limit is 6 MB.</summary>
    public const int MaxDocumentBytes = 6 * 1024 * 1024;

    /// <summary>API Gateway's integration timeout range (ms) and default.</summary>
    public const int MinTimeoutMs = 50, MaxTimeoutMs = 29_000;

    private const string Integration = "x-amazon-apigateway-integration";
    private static readonly string[] HttpMethods = ["get", "put", "post", "delete", "options", "head", "patch"];

    /// <summary>The gateway response types API Gateway defines.</summary>
    public static readonly IReadOnlySet<string> GatewayResponseTypes = new HashSet<string>(StringComparer.Ordinal)
    {
        "ACCESS_DENIED", "API_CONFIGURATION_ERROR", "AUTHORIZER_CONFIGURATION_ERROR", "AUTHORIZER_FAILURE",
        "BAD_REQUEST_PARAMETERS", "BAD_REQUEST_BODY", "DEFAULT_4XX", "DEFAULT_5XX", "EXPIRED_TOKEN",
        "INTEGRATION_FAILURE", "INTEGRATION_TIMEOUT", "INVALID_API_KEY", "INVALID_SIGNATURE",
        "MISSING_AUTHENTICATION_TOKEN", "QUOTA_EXCEEDED", "REQUEST_TOO_LARGE", "RESOURCE_NOT_FOUND",
        "THROTTLED", "UNAUTHORIZED", "UNSUPPORTED_MEDIA_TYPE", "WAF_FILTERED",
    };

    /// <summary>Reads and checks <paramref name="document"/>; throws <see cref="ApiDocumentException"/> listing every problem.</summary>
    public static async Task<ApiDefinition> ReadAsync(string apiId, string document, CancellationToken cancellationToken = default)
    {
        var bytes = Encoding.UTF8.GetBytes(document);
        if (bytes.Length > MaxDocumentBytes)
        {
            throw new ApiDocumentException([new DocumentProblem("/", $"The document is {bytes.Length} bytes; at most {MaxDocumentBytes} are accepted.")]);
        }
        if (string.IsNullOrWhiteSpace(document))
        {
            throw new ApiDocumentException([new DocumentProblem("/", "The document is empty.")]);
        }
        var format = document.TrimStart().StartsWith('{') ? OpenApiConstants.Json : OpenApiConstants.Yaml;
        var settings = new OpenApiReaderSettings();
        settings.AddYamlReader();
        ReadResult read;
        try
        {
            using var stream = new MemoryStream(bytes);
            read = await OpenApiDocument.LoadAsync(stream, format, settings, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            throw new ApiDocumentException([new DocumentProblem("/", $"The document is not valid {format.ToUpperInvariant()}: {exception.Message}")]);
        }
        var problems = new List<DocumentProblem>();
        foreach (var error in read.Diagnostic?.Errors ?? [])
        {
            // API Gateway imports operations without "responses" (its integration responses say what is answered).
            if (!error.Message.StartsWith("Responses must contain at least one response", StringComparison.Ordinal))
            {
                problems.Add(new DocumentProblem(string.IsNullOrEmpty(error.Pointer) ? "/" : error.Pointer.TrimStart('#'), error.Message));
            }
        }
        if (read.Document is null)
        {
            throw new ApiDocumentException(problems.Count > 0 ? problems : [new DocumentProblem("/", "The document could not be read.")]);
        }
        if (read.Diagnostic?.SpecificationVersion is not (OpenApiSpecVersion.OpenApi3_0 or OpenApiSpecVersion.OpenApi3_1))
        {
            throw new ApiDocumentException([new DocumentProblem("/openapi", "Only OpenAPI 3.0 documents are accepted (\"openapi\": \"3.0.x\").")]);
        }
        var json = await read.Document.SerializeAsJsonAsync(OpenApiSpecVersion.OpenApi3_0, cancellationToken).ConfigureAwait(false);
        var root = JsonNode.Parse(json)!.AsObject();
        var reader = new Walker(root, problems);
        var definition = reader.Read(apiId, document);
        if (problems.Count > 0)
        {
            throw new ApiDocumentException(problems);
        }
        return definition;
    }

    /// <summary>Escapes a JSON pointer token (RFC 6901).</summary>
    public static string Escape(string token) => token.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal);

    private sealed class Walker(JsonObject root, List<DocumentProblem> problems)
    {
        private readonly Dictionary<string, CompiledSchema> _models = new(StringComparer.Ordinal);

        // Bodies are validated up to the 10 MB payload limit.
        private static readonly JsonSchemaOptions ModelOptions = new() { MaxDocumentBytes = 10 * 1024 * 1024, MaxErrors = 20 };

        public ApiDefinition Read(string apiId, string document)
        {
            var info = root["info"] as JsonObject;
            var name = Text(info?["title"]) ?? "";
            var version = Text(info?["version"]) ?? "";
            var keySource = ReadKeySource();
            ReadModels();
            var validators = ReadValidators();
            var defaultValidator = Text(root["x-amazon-apigateway-request-validator"]);
            if (defaultValidator is not null && !validators.ContainsKey(defaultValidator))
            {
                Problem("/x-amazon-apigateway-request-validator", $"No validator named '{defaultValidator}' in x-amazon-apigateway-request-validators.");
            }
            var apiKeySchemes = ReadApiKeySchemes();
            var methods = new List<MethodDefinition>();
            if (root["paths"] is JsonObject paths)
            {
                foreach (var (path, item) in paths)
                {
                    if (item is not JsonObject pathItem)
                    {
                        continue;
                    }
                    var pathPointer = "/paths/" + Escape(path);
                    if (!path.StartsWith('/'))
                    {
                        Problem(pathPointer, "A path must start with '/'.");
                        continue;
                    }
                    foreach (var (key, value) in pathItem)
                    {
                        var method = key.ToLowerInvariant();
                        if (value is JsonObject operation && (HttpMethods.Contains(method) || method == "x-amazon-apigateway-any-method"))
                        {
                            var httpMethod = method == "x-amazon-apigateway-any-method" ? "ANY" : method.ToUpperInvariant();
                            var read = ReadMethod(path, httpMethod, pathPointer + "/" + key, pathItem, operation, validators, defaultValidator, apiKeySchemes);
                            if (read is not null)
                            {
                                methods.Add(read);
                            }
                        }
                    }
                }
            }
            if (methods.Count == 0)
            {
                Problem("/paths", "The document defines no operation.");
            }
            var gatewayResponses = ReadGatewayResponses();
            return new ApiDefinition(apiId, name, version, keySource, methods, gatewayResponses, _models, document);
        }

        private ApiKeySource ReadKeySource()
        {
            var source = Text(root["x-amazon-apigateway-api-key-source"]);
            switch (source?.ToUpperInvariant())
            {
                case null or "HEADER":
                    return ApiKeySource.Header;
                case "AUTHORIZER":
                    return ApiKeySource.Authorizer;
                default:
                    Problem("/x-amazon-apigateway-api-key-source", $"'{source}' is not HEADER or AUTHORIZER.");
                    return ApiKeySource.Header;
            }
        }

        private void ReadModels()
        {
            if (root["components"]?["schemas"] is not JsonObject schemas)
            {
                return;
            }
            // Each model is compiled inside a copy of the components, so that "$ref":
            // "#/components/schemas/Other" resolves as a JSON pointer into the same document.
            var components = new JsonObject { ["schemas"] = schemas.DeepClone() };
            foreach (var (name, _) in schemas)
            {
                var pointer = "/components/schemas/" + Escape(name);
                var wrapper = new JsonObject { ["components"] = components.DeepClone(), ["$ref"] = "#" + pointer };
                if (JsonSchema.JsonSchema.TryCompile(wrapper.ToJsonString(), ModelOptions, out var compiled, out var error))
                {
                    _models[name] = compiled!;
                }
                else
                {
                    Problem(error!.SchemaLocation.TrimStart('#') is { Length: > 0 } location ? location : pointer, $"The model '{name}' is not a valid JSON Schema draft 4: {error.Problem}");
                }
            }
        }

        private Dictionary<string, RequestValidatorDefinition> ReadValidators()
        {
            var validators = new Dictionary<string, RequestValidatorDefinition>(StringComparer.Ordinal);
            if (root["x-amazon-apigateway-request-validators"] is not { } node)
            {
                return validators;
            }
            if (node is not JsonObject map)
            {
                Problem("/x-amazon-apigateway-request-validators", "Must be an object of named validators.");
                return validators;
            }
            foreach (var (name, value) in map)
            {
                var pointer = "/x-amazon-apigateway-request-validators/" + Escape(name);
                var body = Bool(value?["validateRequestBody"], pointer + "/validateRequestBody");
                var parameters = Bool(value?["validateRequestParameters"], pointer + "/validateRequestParameters");
                validators[name] = new RequestValidatorDefinition(body, parameters);
            }
            return validators;
        }

        private HashSet<string> ReadApiKeySchemes()
        {
            var names = new HashSet<string>(StringComparer.Ordinal);
            if (root["components"]?["securitySchemes"] is not JsonObject schemes)
            {
                return names;
            }
            foreach (var (name, scheme) in schemes)
            {
                if (Text(scheme?["type"]) != "apiKey")
                {
                    continue;
                }
                var pointer = "/components/securitySchemes/" + Escape(name);
                if (Text(scheme?["in"]) != "header" || !string.Equals(Text(scheme?["name"]), "x-api-key", StringComparison.OrdinalIgnoreCase))
                {
                    Problem(pointer, "An apiKey security scheme must be { \"in\": \"header\", \"name\": \"x-api-key\" }, as API Gateway reads keys.");
                    continue;
                }
                names.Add(name);
            }
            return names;
        }

        private MethodDefinition? ReadMethod(string path, string httpMethod, string pointer, JsonObject pathItem, JsonObject operation,
            Dictionary<string, RequestValidatorDefinition> validators, string? defaultValidator, HashSet<string> apiKeySchemes)
        {
            var security = operation["security"] ?? root["security"];
            var keyRequired = security is JsonArray requirements && requirements.OfType<JsonObject>().Any(r => r.Any(s => apiKeySchemes.Contains(s.Key)));

            var validatorName = Text(operation["x-amazon-apigateway-request-validator"]) ?? defaultValidator;
            var validator = RequestValidatorDefinition.None;
            if (validatorName is not null && !validators.TryGetValue(validatorName, out validator!))
            {
                Problem(pointer + "/x-amazon-apigateway-request-validator", $"No validator named '{validatorName}' in x-amazon-apigateway-request-validators.");
                validator = RequestValidatorDefinition.None;
            }

            var required = new List<RequiredParameter>();
            foreach (var parameter in (pathItem["parameters"] as JsonArray ?? []).Concat(operation["parameters"] as JsonArray ?? []).OfType<JsonObject>())
            {
                if (parameter["required"]?.GetValueKind() != JsonValueKind.True)
                {
                    continue;
                }
                var location = Text(parameter["in"]) switch { "query" => "querystring", "header" => "header", "path" => "path", _ => null };
                if (location is not null && Text(parameter["name"]) is { } parameterName)
                {
                    required.Add(new RequiredParameter(location, parameterName));
                }
            }

            var bodyModels = new Dictionary<string, CompiledSchema>(StringComparer.OrdinalIgnoreCase);
            if (operation["requestBody"]?["content"] is JsonObject content)
            {
                foreach (var (mime, media) in content)
                {
                    var schema = media?["schema"];
                    if (schema is null)
                    {
                        continue;
                    }
                    var schemaPointer = pointer + "/requestBody/content/" + Escape(mime) + "/schema";
                    if (Text(schema["$ref"]) is { } reference)
                    {
                        var modelName = reference.StartsWith("#/components/schemas/", StringComparison.Ordinal) ? reference["#/components/schemas/".Length..] : null;
                        if (modelName is not null && _models.TryGetValue(modelName, out var model))
                        {
                            bodyModels[mime] = model;
                        }
                        else if (modelName is null || !(root["components"]?["schemas"] as JsonObject)?.ContainsKey(modelName) == true)
                        {
                            Problem(schemaPointer + "/$ref", $"'{reference}' names no model under components/schemas.");
                        }
                    }
                    else if (CompileInline(schema, schemaPointer) is { } inline)
                    {
                        bodyModels[mime] = inline;
                    }
                }
            }

            if (operation[Integration] is not JsonObject integration)
            {
                Problem(pointer, $"The operation has no {Integration}.");
                return null;
            }
            var readIntegration = ReadIntegration(integration, pointer + "/" + Integration);
            return readIntegration is null ? null : new MethodDefinition(path, httpMethod, keyRequired, validator, required, bodyModels, readIntegration);
        }

        private CompiledSchema? CompileInline(JsonNode schema, string pointer)
        {
            var wrapper = schema.DeepClone().AsObject();
            if (root["components"]?["schemas"] is JsonObject schemas)
            {
                wrapper["components"] = new JsonObject { ["schemas"] = schemas.DeepClone() };
            }
            if (JsonSchema.JsonSchema.TryCompile(wrapper.ToJsonString(), ModelOptions, out var compiled, out var error))
            {
                return compiled;
            }
            Problem(pointer, $"Not a valid JSON Schema draft 4 ({error!.SchemaLocation}): {error.Problem}");
            return null;
        }

        private IntegrationDefinition? ReadIntegration(JsonObject integration, string pointer)
        {
            var typeText = Text(integration["type"]);
            IntegrationType? type = typeText?.ToLowerInvariant() switch
            {
                "mock" => IntegrationType.Mock,
                "http" => IntegrationType.Http,
                "http_proxy" => IntegrationType.HttpProxy,
                "grpc" => IntegrationType.Grpc,
                "sql" => IntegrationType.Sql,
                _ => null,
            };
            if (type is null)
            {
                Problem(pointer + "/type", typeText is null
                    ? "The integration has no type (mock, http, http_proxy, grpc or sql)."
                    : $"'{typeText}' is not a supported integration type (mock, http, http_proxy, grpc or sql).");
            }
            var uri = Text(integration["uri"]);
            if (type is IntegrationType.Http or IntegrationType.HttpProxy && (!System.Uri.TryCreate(uri is null ? null : Integrations.HttpIntegration.StageVariableReference().Replace(uri, "stage-variable"), UriKind.Absolute, out var httpUri) || httpUri.Scheme is not ("http" or "https")))
            {
                Problem(pointer + "/uri", uri is null ? "An http integration needs a uri." : $"'{uri}' is not an absolute http(s) URL.");
            }
            if (type is IntegrationType.Grpc && (uri is null || !GrpcUri.TryParse(uri, out _)))
            {
                Problem(pointer + "/uri", $"A grpc integration's uri must read grpc://<service>/<package.Service>/<Method>, not '{uri}'.");
            }
            string? sql = null, database = null;
            if (type is IntegrationType.Sql)
            {
                sql = Text(integration["sql"]);
                if (string.IsNullOrWhiteSpace(sql))
                {
                    Problem(pointer + "/sql", "A sql integration needs the statement to run (\"sql\").");
                }
                database = Text(integration["database"]) ?? "dev";
            }
            var httpMethod = Text(integration["httpMethod"])?.ToUpperInvariant() ?? "POST";
            var timeout = MaxTimeoutMs;
            if (integration["timeoutInMillis"] is { } timeoutNode)
            {
                if (timeoutNode.GetValueKind() != JsonValueKind.Number || !timeoutNode.AsValue().TryGetValue<int>(out timeout) || timeout is < MinTimeoutMs or > MaxTimeoutMs)
                {
                    Problem(pointer + "/timeoutInMillis", $"Must be an integer from {MinTimeoutMs} to {MaxTimeoutMs}.");
                    timeout = MaxTimeoutMs;
                }
            }
            var passthroughText = Text(integration["passthroughBehavior"]);
            var passthrough = PassthroughBehavior.WhenNoMatch;
            switch (passthroughText?.ToLowerInvariant())
            {
                case null or "when_no_match":
                    break;
                case "when_no_templates":
                    passthrough = PassthroughBehavior.WhenNoTemplates;
                    break;
                case "never":
                    passthrough = PassthroughBehavior.Never;
                    break;
                default:
                    Problem(pointer + "/passthroughBehavior", $"'{passthroughText}' is not when_no_match, when_no_templates or never.");
                    break;
            }
            var requestParameters = StringMap(integration["requestParameters"], pointer + "/requestParameters");
            foreach (var (target, source) in requestParameters)
            {
                if (!target.StartsWith("integration.request.", StringComparison.Ordinal))
                {
                    Problem(pointer + "/requestParameters/" + Escape(target), "A target must start with 'integration.request.' (querystring, path or header).");
                }
                if (!(source.StartsWith("method.request.", StringComparison.Ordinal) || source.StartsWith("stageVariables.", StringComparison.Ordinal)
                    || source.StartsWith("context.", StringComparison.Ordinal) || (source.Length >= 2 && source[0] == '\'' && source[^1] == '\'')))
                {
                    Problem(pointer + "/requestParameters/" + Escape(target), $"'{source}' is not method.request.*, stageVariables.*, context.* or a 'quoted' value.");
                }
            }
            var cacheKeys = new List<string>();
            if (integration["cacheKeyParameters"] is JsonArray cacheKeyNodes)
            {
                foreach (var node in cacheKeyNodes)
                {
                    var name = Text(node);
                    if (name is null || !name.StartsWith("method.request.", StringComparison.Ordinal) || name.Length > 512)
                    {
                        Problem(pointer + "/cacheKeyParameters", $"'{name}' is not a method.request.(path|querystring|header).<name> parameter.");
                        continue;
                    }
                    cacheKeys.Add(name);
                }
            }
            else if (integration["cacheKeyParameters"] is not null)
            {
                Problem(pointer + "/cacheKeyParameters", "Must be an array of method.request.* parameter names.");
            }
            var requestTemplates = Templates(integration["requestTemplates"], pointer + "/requestTemplates");
            var responses = new List<IntegrationResponseDefinition>();
            if (integration["responses"] is JsonObject responseMap)
            {
                foreach (var (pattern, response) in responseMap)
                {
                    var responsePointer = pointer + "/responses/" + Escape(pattern);
                    Regex? selection = null;
                    if (pattern != "default")
                    {
                        try
                        {
                            // API Gateway matches the whole status code (or error message), Java-regex style.
                            selection = new Regex("^(?:" + pattern + ")$", RegexOptions.Singleline | RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100));
                        }
                        catch (ArgumentException exception)
                        {
                            Problem(responsePointer, $"The selection pattern is not a valid regular expression: {exception.Message}");
                        }
                    }
                    var statusText = Text(response?["statusCode"]);
                    if (!int.TryParse(statusText, NumberStyles.None, CultureInfo.InvariantCulture, out var status) || status is < 100 or > 599)
                    {
                        Problem(responsePointer + "/statusCode", $"'{statusText}' is not an HTTP status code.");
                    }
                    responses.Add(new IntegrationResponseDefinition(pattern, selection, status,
                        StringMap(response?["responseParameters"], responsePointer + "/responseParameters"),
                        Templates(response?["responseTemplates"], responsePointer + "/responseTemplates")));
                }
            }
            if (type is null)
            {
                return null;
            }
            return new IntegrationDefinition(type.Value, uri, httpMethod, requestParameters, requestTemplates, passthrough,
                TimeSpan.FromMilliseconds(timeout), responses, sql, database, cacheKeys);
        }

        private Dictionary<string, GatewayResponseDefinition> ReadGatewayResponses()
        {
            var responses = new Dictionary<string, GatewayResponseDefinition>(StringComparer.Ordinal);
            if (root["x-amazon-apigateway-gateway-responses"] is not JsonObject map)
            {
                return responses;
            }
            foreach (var (type, response) in map)
            {
                var pointer = "/x-amazon-apigateway-gateway-responses/" + Escape(type);
                if (!GatewayResponseTypes.Contains(type))
                {
                    Problem(pointer, $"'{type}' is not a gateway response type.");
                    continue;
                }
                int? status = null;
                if (response?["statusCode"] is { } statusNode)
                {
                    var statusText = statusNode.GetValueKind() == JsonValueKind.Number ? statusNode.ToJsonString() : Text(statusNode);
                    if (int.TryParse(statusText, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) && parsed is >= 100 and <= 599)
                    {
                        status = parsed;
                    }
                    else
                    {
                        Problem(pointer + "/statusCode", $"'{statusText}' is not an HTTP status code.");
                    }
                }
                responses[type] = new GatewayResponseDefinition(type, status,
                    StringMap(response?["responseParameters"], pointer + "/responseParameters"),
                    Templates(response?["responseTemplates"], pointer + "/responseTemplates"));
            }
            return responses;
        }

        private Dictionary<string, VtlTemplate> Templates(JsonNode? node, string pointer)
        {
            var templates = new Dictionary<string, VtlTemplate>(StringComparer.OrdinalIgnoreCase);
            foreach (var (mime, source) in StringMap(node, pointer))
            {
                try
                {
                    templates[mime] = VtlTemplate.Parse(source, pointer + "/" + Escape(mime));
                }
                catch (VtlException exception)
                {
                    Problem(pointer + "/" + Escape(mime), $"The template does not parse (line {exception.Line}, column {exception.Column}): {exception.Reason}");
                }
            }
            return templates;
        }

        private Dictionary<string, string> StringMap(JsonNode? node, string pointer)
        {
            var map = new Dictionary<string, string>(StringComparer.Ordinal);
            if (node is null)
            {
                return map;
            }
            if (node is not JsonObject entries)
            {
                Problem(pointer, "Must be an object of strings.");
                return map;
            }
            foreach (var (key, value) in entries)
            {
                if (value is JsonValue scalar && scalar.GetValueKind() == JsonValueKind.String)
                {
                    map[key] = scalar.GetValue<string>();
                }
                else
                {
                    Problem(pointer + "/" + Escape(key), "Must be a string.");
                }
            }
            return map;
        }

        private bool Bool(JsonNode? node, string pointer)
        {
            switch (node?.GetValueKind())
            {
                case null:
                    return false;
                case JsonValueKind.True:
                    return true;
                case JsonValueKind.False:
                    return false;
                default:
                    Problem(pointer, "Must be true or false.");
                    return false;
            }
        }

        private static string? Text(JsonNode? node) =>
            node is JsonValue value && value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : null;

        private void Problem(string path, string message) => problems.Add(new DocumentProblem(path, message));
    }
}

/// <summary>A grpc integration's target: grpc://&lt;service&gt;/&lt;package.Service&gt;/&lt;Method&gt;.</summary>
internal sealed record GrpcUri(string Backend, string Service, string Method)
{
    public static bool TryParse(string uri, out GrpcUri? parsed)
    {
        parsed = null;
        if (!System.Uri.TryCreate(uri, UriKind.Absolute, out var value) || value.Scheme != "grpc")
        {
            return false;
        }
        var segments = value.AbsolutePath.Trim('/').Split('/');
        if (segments.Length != 2 || segments[0].Length == 0 || segments[1].Length == 0)
        {
            return false;
        }
        parsed = new GrpcUri(value.Host, segments[0], segments[1]);
        return true;
    }
}
