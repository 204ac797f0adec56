using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Sluice.Gateway.Caching;
using Sluice.Gateway.Definitions;
using Sluice.Gateway.Integrations;
using Sluice.Gateway.Mapping;
using Sluice.Gateway.Plans;
using Sluice.Gateway.State;
using Sluice.Gateway.Storage;
using Sluice.Vtl;

namespace Sluice.Gateway.Pipeline;

/// <summary>
/// One REST request, in API Gateway's order: route (403 Missing Authentication Token), API key
/// (403 Forbidden), throttles per key and method, stage and method, account (429), quota (429
/// Limit Exceeded), payload size (413), request validation (400), request template (415, 500),
/// integration (504 at its timeout), integration response and response template. URLs read
/// <c>/{apiId}/{stage}/{resource path}</c>.
/// </summary>
internal sealed class GatewayPipeline(
    GatewayState state,
    ThrottleBuckets buckets,
    UsageMeter usage,
    IntegrationRegistry integrations,
    ResourcePolicy policy,
    StageCache cache,
    IOptions<GatewayOptions> options,
    TimeProvider time,
    ILogger<GatewayPipeline> logger)
{
    private readonly ThrottleLimit _account = new(options.Value.AccountThrottle.Rate, options.Value.AccountThrottle.Burst);
    private readonly long _maxPayload = options.Value.MaxPayloadBytes;

    // Integration status codes as the selection patterns match them, made once rather than per response.
    private static readonly string[] StatusTexts = [.. Enumerable.Range(0, 600).Select(code => code.ToString(System.Globalization.CultureInfo.InvariantCulture))];

    public async Task HandleAsync(HttpContext http, bool isPrivate = false)
    {
        var request = http.Request;
        var path = request.Path.Value ?? "/";
        var snapshot = state.Snapshot;
        if (!TrySplitPath(path, out var apiId, out var stageName, out var resourceStart)
            || !snapshot.TryGetStage(path.AsSpan(apiId), path.AsSpan(stageName), out var stage))
        {
            await GatewayResponder.WriteAsync(http, null, GatewayErrorKind.MissingAuthenticationToken, null, null, logger).ConfigureAwait(false);
            return;
        }
        var context = new RequestContext(stage, Guid.NewGuid().ToString(), http, path, resourceStart, time.GetUtcNow());
        http.Features.Set(context); // For the access log, once the response is written.
        var test = http.Features.Get<TestInvocation>();
        if (test is not null)
        {
            foreach (var (name, value) in test.StageVariables)
            {
                context.StageVariables[name] = value;
            }
            test.Log($"Starting execution for request: {context.RequestId}");
            test.Log($"HTTP Method: {request.Method}, Resource Path: {context.ResourcePath}");
        }
        var match = stage.Routes.Match(path.AsSpan(resourceStart), request.Method);
        if (match is not { } found)
        {
            await FailAsync(http, context, GatewayErrorKind.MissingAuthenticationToken).ConfigureAwait(false);
            return;
        }
        var method = found.Method;
        context.SetMethod(method);
        if (isPrivate && policy.Deny(http, stage.Api.Id) is { } denial)
        {
            var resourceArn = $"arn:aws:execute-api:local:000000000000:{stage.Api.Id}/{stage.Stage.StageName}/{request.Method}{method.ResourcePath}";
            await FailAsync(http, context, GatewayErrorKind.AccessDenied, $"User: anonymous is not authorized to perform: execute-api:Invoke on resource: {resourceArn} ({denial})").ConfigureAwait(false);
            return;
        }
        context.Parameters = ReadParameters(request, found.PathNames, found.PathValues);
        test?.Log($"Method request path: {Show(context.Parameters.Path)}");
        test?.Log($"Method request query string: {Show(context.Parameters.Querystring)}");
        test?.Log($"Method request headers: {Show(context.Parameters.Header)}");

        // API key, and the plan it is in for this stage.
        UsagePlanRecord? plan = null;
        ApiKeyRecord? key = null;
        var presented = request.Headers["x-api-key"].ToString();
        if (presented.Length > 0)
        {
            context.ApiKey = presented;
        }
        if (method.ApiKeyRequired && test is null)
        {
            key = stage.Api.KeySource == ApiKeySource.Header && presented.Length > 0 ? state.FindKey(presented) : null;
            if (key is null || !key.Enabled || !snapshot.Plans.TryGetValue((stage.Api.Id, stage.Stage.StageName, key.Id), out plan))
            {
                await FailAsync(http, context, GatewayErrorKind.InvalidApiKey).ConfigureAwait(false);
                return;
            }
            context.ApiKeyId = key.Id;
        }

        // Throttles: key and method (the plan's), then stage and method, then the account.
        if (test is null && !Admit(stage, method, plan, key))
        {
            await FailAsync(http, context, GatewayErrorKind.Throttled).ConfigureAwait(false);
            return;
        }
        if (plan is not null && !await usage.TryConsumeAsync(plan, key!.Id, http.RequestAborted).ConfigureAwait(false))
        {
            await FailAsync(http, context, GatewayErrorKind.QuotaExceeded).ConfigureAwait(false);
            return;
        }

        var rawBody = await ReadBodyAsync(http).ConfigureAwait(false);
        if (rawBody is null)
        {
            await FailAsync(http, context, GatewayErrorKind.RequestTooLarge).ConfigureAwait(false);
            return;
        }

        if (method.Validator.ValidateParameters && MissingParameters(method, context.Parameters) is { Count: > 0 } missing)
        {
            await FailAsync(http, context, GatewayErrorKind.BadRequestParameters, $"Missing required request parameters: [{string.Join(", ", missing)}]").ConfigureAwait(false);
            return;
        }
        if (method.Validator.ValidateBody && BodyProblem(method, request.ContentType, rawBody) is { } problem)
        {
            await FailAsync(http, context, GatewayErrorKind.BadRequestBody, null, problem).ConfigureAwait(false);
            return;
        }

        var body = Encoding.UTF8.GetString(rawBody);
        test?.Log($"Method request body before transformations: {body}");
        var integration = method.Integration;
        string transformed;
        if (integration.Type == IntegrationType.HttpProxy)
        {
            transformed = body;
        }
        else
        {
            var template = TemplateSelection.ForRequest(integration.RequestTemplates, request.ContentType);
            if (template is null && (integration.Passthrough == PassthroughBehavior.Never
                || (integration.Passthrough == PassthroughBehavior.WhenNoTemplates && integration.RequestTemplates.Count > 0)))
            {
                await FailAsync(http, context, GatewayErrorKind.UnsupportedMediaType).ConfigureAwait(false);
                return;
            }
            if (template is null)
            {
                transformed = body;
            }
            else if (Render(http, context, template, body) is { } rendered)
            {
                transformed = rendered;
            }
            else
            {
                await FailAsync(http, context, GatewayErrorKind.ConfigurationError).ConfigureAwait(false);
                return;
            }
        }

        var call = new IntegrationCall(context, http, rawBody, transformed, integration.Type == IntegrationType.Mock ? "application/json" : request.ContentType ?? TemplateSelection.DefaultType, integration.HasResponseTemplates);
        MapRequestParameters(call);
        if (test is not null)
        {
            test.Log($"Endpoint request URI: {integration.Type.ToString().ToLowerInvariant()} {integration.Uri ?? integration.Sql ?? ""}");
            test.Log($"Endpoint request path parameters: {Show(call.Path)}, query string: {Show(call.Query)}, headers: {Show(call.Headers)}");
            test.Log($"Endpoint request body after transformations: {transformed}");
        }

        // The stage cache: integration responses by the method's cacheKeyParameters (test invocations bypass it).
        var cacheSettings = stage.Stage.Cache;
        var cacheTtl = test is null ? StageCacheRules.TtlFor(cacheSettings, method) : null;
        var scope = CacheScope.Of(stage.Stage);
        var cacheKey = cacheTtl is null ? null : CacheRequest.Key(method, context);
        if (cacheKey is not null)
        {
            switch (CacheRequest.Read(request, cacheSettings!, presented.Length > 0 ? state : null, presented))
            {
                case CacheControlOutcome.Denied:
                    var resourceArn = $"arn:aws:execute-api:local:000000000000:{stage.Api.Id}/{stage.Stage.StageName}/{request.Method}{method.ResourcePath}";
                    await FailAsync(http, context, GatewayErrorKind.AccessDenied, $"User: anonymous is not authorized to perform: execute-api:InvalidateCache on resource: {resourceArn}").ConfigureAwait(false);
                    return;
                case CacheControlOutcome.Refresh:
                    cache.Remove(scope, cacheKey);
                    break;
                case CacheControlOutcome.IgnoredWithWarning:
                    http.Response.Headers.Warning = CacheRequest.IgnoredWarning;
                    break;
            }
            if (cache.TryGet(scope, cacheKey) is { } cached)
            {
                await RespondAsync(http, context, integration, cached).ConfigureAwait(false);
                return;
            }
        }

        IntegrationResult result;
        // A mock answers from its request template alone and cannot outlast a timeout: no timer for it.
        using (var timeout = integration.Type == IntegrationType.Mock ? null : CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted))
        {
            timeout?.CancelAfter(integration.Timeout);
            try
            {
                result = await integrations.For(integration.Type).InvokeAsync(call, timeout?.Token ?? http.RequestAborted).ConfigureAwait(false);
            }
            catch (Exception exception) when (timeout is { IsCancellationRequested: true } && !http.RequestAborted.IsCancellationRequested
                && exception is OperationCanceledException or Grpc.Core.RpcException or HttpRequestException)
            {
                await FailAsync(http, context, GatewayErrorKind.IntegrationTimeout).ConfigureAwait(false);
                return;
            }
            catch (Exception exception) when (exception is HttpRequestException or Grpc.Core.RpcException or InvalidOperationException or FormatException)
            {
                GatewayLog.IntegrationFailed(logger, method.HttpMethod, method.ResourcePath, context.RequestId, exception.Message);
                await FailAsync(http, context, GatewayErrorKind.IntegrationFailure).ConfigureAwait(false);
                return;
            }
            if (result.Stream is not null && integration.Type == IntegrationType.HttpProxy)
            {
                http.Response.Headers["x-amzn-RequestId"] = context.RequestId;
                await result.Stream(http.Response, http.RequestAborted).ConfigureAwait(false);
                return;
            }
        }
        if (cacheKey is not null && result is { Stream: null, ErrorMessage: null, StatusCode: >= 200 and < 300 })
        {
            cache.Put(scope, cacheKey, result, cacheTtl!.Value);
        }
        await RespondAsync(http, context, integration, result).ConfigureAwait(false);
    }

    private async Task RespondAsync(HttpContext http, RequestContext context, IntegrationDefinition integration, IntegrationResult result)
    {
        var method = context.Method!;
        // Selection: HTTP integrations by status code, sql/grpc by error message, mock by the template's statusCode.
        IntegrationResponseDefinition? selected;
        if (integration.Type is IntegrationType.Sql or IntegrationType.Grpc)
        {
            selected = result.ErrorMessage is null
                ? integration.DefaultResponse
                : integration.SelectResponse(result.ErrorMessage);
            if (result.ErrorMessage is not null && selected is null)
            {
                GatewayLog.IntegrationFailed(logger, method.HttpMethod, method.ResourcePath, context.RequestId, result.ErrorMessage);
                await FailAsync(http, context, GatewayErrorKind.IntegrationFailure).ConfigureAwait(false);
                return;
            }
        }
        else
        {
            var status = (uint)result.StatusCode < (uint)StatusTexts.Length
                ? StatusTexts[result.StatusCode]
                : result.StatusCode.ToString(System.Globalization.CultureInfo.InvariantCulture);
            selected = integration.SelectResponse(status) ?? integration.DefaultResponse;
        }

        var response = http.Response;
        response.Headers["x-amzn-RequestId"] = context.RequestId;
        if (selected is null)
        {
            if (integration.Responses.Count > 0 && integration.Type != IntegrationType.Sql && integration.Type != IntegrationType.Grpc)
            {
                // Responses are declared but none is default and none matched: API Gateway's configuration error.
                await FailAsync(http, context, GatewayErrorKind.ConfigurationError).ConfigureAwait(false);
                return;
            }
            await WriteResultAsync(http, result, result.StatusCode).ConfigureAwait(false);
            return;
        }

        var statusCode = selected.StatusCode;
        string? body = null;
        var contentType = result.ContentType;
        if (selected.ResponseTemplates.Count > 0)
        {
            var (mime, template) = TemplateSelection.ForResponse(selected.ResponseTemplates, http.Request.Headers.Accept);
            body = Render(http, context, template, result.Body);
            if (body is null)
            {
                await FailAsync(http, context, GatewayErrorKind.ConfigurationError).ConfigureAwait(false);
                return;
            }
            contentType = mime;
        }
        foreach (var (target, source) in selected.ResponseParameters)
        {
            const string prefix = "method.response.header.";
            if (target.StartsWith(prefix, StringComparison.Ordinal) && ParameterSources.Resolve(source, context, result) is { } value)
            {
                response.Headers[target[prefix.Length..]] = value;
            }
        }
        var responseOverride = context.ResponseOverrideIfBuilt;
        if (responseOverride?.GetValueOrDefault("status") is { } overridden
            && int.TryParse(Convert.ToString(overridden, System.Globalization.CultureInfo.InvariantCulture), out var overrideStatus) && overrideStatus is >= 100 and <= 599)
        {
            statusCode = overrideStatus;
        }
        if (responseOverride?.GetValueOrDefault("header") is IDictionary<string, object?> headers)
        {
            foreach (var (name, value) in headers)
            {
                response.Headers[name] = Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture);
            }
        }
        if (body is null)
        {
            await WriteResultAsync(http, result, statusCode).ConfigureAwait(false);
            return;
        }
        response.StatusCode = statusCode;
        response.ContentType = contentType;
        await WriteBodyAsync(http, body).ConfigureAwait(false);
    }

    private static async Task WriteResultAsync(HttpContext http, IntegrationResult result, int statusCode)
    {
        if (result.Stream is not null)
        {
            // The stream writes its own status (it streams rows, so it answers 200).
            await result.Stream(http.Response, http.RequestAborted).ConfigureAwait(false);
            return;
        }
        var response = http.Response;
        response.StatusCode = statusCode;
        response.ContentType = result.ContentType;
        await WriteBodyAsync(http, result.Body).ConfigureAwait(false);
    }

    /// <summary>
    /// Writes <paramref name="body"/> as UTF-8 from a pooled buffer, in one write: Kestrel then sends
    /// the headers and body together (text put into BodyWriter before the headers are written is
    /// buffered in segments of its own and copied again).
    /// </summary>
    private static async Task WriteBodyAsync(HttpContext http, string body)
    {
        var response = http.Response;
        var length = Encoding.UTF8.GetByteCount(body);
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(length);
        try
        {
            Encoding.UTF8.GetBytes(body, buffer);
            response.ContentLength = length;
            // Kestrel copies what it is given before the write returns, so the buffer can go back then.
            await response.Body.WriteAsync(buffer.AsMemory(0, length), http.RequestAborted).ConfigureAwait(false);
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private string? Render(HttpContext http, RequestContext context, VtlTemplate template, string body)
    {
        try
        {
            return template.Render(context.TemplateVariables(new InputVariable(body, context.Parameters!)), GatewayLimits.Templates);
        }
        catch (Exception exception) when (exception is VtlException or NotImplementedException)
        {
            GatewayLog.TemplateFailed(logger, template.Name ?? "template", http.Request.Method, context.Method?.ResourcePath ?? "", context.RequestId, exception.Message);
            return null;
        }
    }

    private static string Show<T>(IEnumerable<KeyValuePair<string, T>> values) =>
        "{" + string.Join(", ", values.Select(v => v.Key + "=" + v.Value)) + "}";

    private Task FailAsync(HttpContext http, RequestContext context, GatewayErrorKind kind, string? message = null, string? validationError = null) =>
        GatewayResponder.WriteAsync(http, context, kind, message, validationError, logger);

    private bool Admit(DeployedStage stage, MethodDefinition method, UsagePlanRecord? plan, ApiKeyRecord? key)
    {
        if (plan is not null)
        {
            var planStage = PlanStageOf(plan, stage);
            if (planStage?.MethodThrottles.TryGetValue(method.ThrottleKey, out var methodLimit) == true)
            {
                if (!buckets.TryTake(new ThrottleScope("key-method", plan.Id, key!.Id, method.ThrottleKey), methodLimit))
                {
                    return false;
                }
            }
            else if (plan.Throttle is { } planLimit && !buckets.TryTake(new ThrottleScope("key", plan.Id, key!.Id), planLimit))
            {
                return false;
            }
        }
        var throttles = stage.Stage.MethodThrottles;
        if (throttles.TryGetValue(method.ThrottleKey, out var stageLimit))
        {
            if (!buckets.TryTake(new ThrottleScope("stage-method", stage.Api.Id, stage.Stage.StageName, method.ThrottleKey), stageLimit))
            {
                return false;
            }
        }
        else if (throttles.TryGetValue("*/*", out var stageDefault) && !buckets.TryTake(new ThrottleScope("stage-method", stage.Api.Id, stage.Stage.StageName, method.ThrottleKey), stageDefault))
        {
            return false;
        }
        return buckets.TryTake(ThrottleScope.Account, _account);
    }

    private async ValueTask<byte[]?> ReadBodyAsync(HttpContext http)
    {
        var request = http.Request;
        if (request.ContentLength > _maxPayload)
        {
            return null;
        }
        // Most data-API calls are GETs with no body: no buffer for them.
        if (request.ContentLength == 0 || http.Features.Get<IHttpRequestBodyDetectionFeature>() is { CanHaveBody: false })
        {
            return [];
        }
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = null;
        }
        if (request.ContentLength is { } declared)
        {
            // The declared length is within the limit, and Kestrel ends the body there.
            var exact = new byte[declared];
            var filled = 0;
            int count;
            while (filled < exact.Length && (count = await request.Body.ReadAsync(exact.AsMemory(filled), http.RequestAborted).ConfigureAwait(false)) > 0)
            {
                filled += count;
            }
            return filled == exact.Length ? exact : exact[..filled];
        }
        using var buffer = new MemoryStream();
        var chunk = System.Buffers.ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            int read;
            while ((read = await request.Body.ReadAsync(chunk, http.RequestAborted).ConfigureAwait(false)) > 0)
            {
                if (buffer.Length + read > _maxPayload)
                {
                    return null;
                }
                buffer.Write(chunk, 0, read);
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(chunk);
        }
        return buffer.ToArray();
    }

    private static PlanApiStage? PlanStageOf(UsagePlanRecord plan, DeployedStage stage)
    {
        // Indexed loops: a foreach over an IReadOnlyList boxes its enumerator on every request.
        var stages = plan.ApiStages;
        for (var i = 0; i < stages.Count; i++)
        {
            var planStage = stages[i];
            if (planStage.ApiId == stage.Api.Id && planStage.Stage == stage.Stage.StageName)
            {
                return planStage;
            }
        }
        return null;
    }

    /// <summary>The required parameters missing or blank; null when there are none.</summary>
    private static List<string>? MissingParameters(MethodDefinition method, RequestParameters parameters)
    {
        List<string>? missing = null;
        var requiredParameters = method.RequiredParameters;
        for (var i = 0; i < requiredParameters.Count; i++)
        {
            var required = requiredParameters[i];
            if (string.IsNullOrWhiteSpace(parameters.Get(required.Location, required.Name)))
            {
                (missing ??= []).Add(required.Name);
            }
        }
        return missing;
    }

    private static string? BodyProblem(MethodDefinition method, string? contentType, byte[] body)
    {
        if (method.BodyModels.Count == 0)
        {
            return null;
        }
        var mime = TemplateSelection.MimeOf(contentType);
        if (!method.BodyModels.TryGetValue(mime, out var model))
        {
            return null;
        }
        var result = model.Validate(body.Length == 0 ? "null"u8.ToArray() : body);
        return result.IsValid ? null : "[" + string.Join(", ", result.Errors.Select(e => e.InstanceLocation.Length > 0 ? $"{e.InstanceLocation}: {e.Message}" : e.Message)) + "]";
    }

    private static void MapRequestParameters(IntegrationCall call)
    {
        foreach (var (target, source) in call.Context.Method!.Integration.RequestParameters)
        {
            const string prefix = "integration.request.";
            var rest = target[prefix.Length..];
            var dot = rest.IndexOf('.');
            if (dot < 0 || ParameterSources.Resolve(source, call.Context) is not { } value)
            {
                continue;
            }
            var name = rest[(dot + 1)..];
            switch (rest[..dot])
            {
                case "path":
                    call.Path[name] = value;
                    break;
                case "querystring" or "multivaluequerystring":
                    call.Query[name] = value;
                    break;
                case "header":
                    call.Headers[name] = value;
                    break;
                default:
                    // Sluice's sql integration also takes integration.request.sql.<name>.
                    call.Query[name] = value;
                    break;
            }
        }
        if (call.Context.RequestOverrideIfBuilt is { } requestOverride)
        {
            Apply(requestOverride.GetValueOrDefault("header"), call.Headers);
            Apply(requestOverride.GetValueOrDefault("querystring"), call.Query);
            Apply(requestOverride.GetValueOrDefault("path"), call.Path);
        }
    }

    private static void Apply(object? overrides, Dictionary<string, string> target)
    {
        if (overrides is IDictionary<string, object?> map)
        {
            foreach (var (name, value) in map)
            {
                if (value is not null)
                {
                    target[name] = Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)!;
                }
            }
        }
    }

    private static RequestParameters ReadParameters(HttpRequest request, string[] pathNames, string[] pathValues)
    {
        // Read from the raw query string, decoded as ASP.NET Core's request.Query decodes it, into
        // one array of name, value pairs: API Gateway's single-value view keeps the last value of a
        // name, and the multi-valued view is read from request.Query only if a mapping needs it.
        var query = request.QueryString.Value;
        var count = 0;
        foreach (var _ in new QueryStringEnumerable(query))
        {
            count++;
        }
        var pairs = count == 0 ? [] : new string[count * 2];
        var next = 0;
        foreach (var pair in new QueryStringEnumerable(query))
        {
            pairs[next++] = pair.DecodeName().ToString();
            pairs[next++] = pair.DecodeValue().ToString();
        }
        // Headers are copied only if a template or mapping needs them whole.
        return new RequestParameters(pathNames, pathValues, pairs, request);
    }

    /// <summary>
    /// /{apiId}/{stage}/{resource...}: where the API id and stage are in <paramref name="path"/>, and
    /// where the resource path starts (with its leading slash; the path's length for "/"). False when
    /// the path names no stage.
    /// </summary>
    private static bool TrySplitPath(string path, out Range apiId, out Range stage, out int resourceStart)
    {
        var start = path.Length - path.AsSpan().TrimStart('/').Length;
        var first = path.AsSpan(start).IndexOf('/');
        var stageStart = start + first + 1;
        var second = first <= 0 ? -1 : path.AsSpan(stageStart).IndexOf('/');
        var stageEnd = second < 0 ? path.Length : stageStart + second;
        apiId = start..(start + first);
        stage = stageStart..stageEnd;
        resourceStart = stageEnd;
        return first > 0 && stageEnd > stageStart;
    }
}
