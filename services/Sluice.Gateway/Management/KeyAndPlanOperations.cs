using System.Globalization;
using System.Text.Json.Nodes;
using Sluice.Gateway.Plans;
using Sluice.Gateway.State;
using Sluice.Gateway.Storage;

namespace Sluice.Gateway.Management;

/// <summary>The management API's API key, usage plan and usage operations, on <see cref="GatewayState"/>.</summary>
internal sealed class KeyAndPlanOperations(GatewayState state)
{
    private static readonly string[] KeyPatches = ["replace /name", "replace /description", "replace /enabled"];

    private static readonly string[] PlanPatches =
    [
        "replace /name", "replace /description", "replace /throttle/rateLimit", "replace /throttle/burstLimit", "remove /throttle",
        "replace /quota/limit", "replace /quota/offset", "replace /quota/period", "remove /quota", "add /apiStages", "remove /apiStages",
        // A method's throttle within one API stage of the plan; {resourcePath} has '/' written ~1 (see MethodThrottlePatches).
        "replace /apiStages/{apiId}:{stage}/throttle/{resourcePath}/{httpMethod}/rateLimit",
        "replace /apiStages/{apiId}:{stage}/throttle/{resourcePath}/{httpMethod}/burstLimit",
        "remove /apiStages/{apiId}:{stage}/throttle/{resourcePath}/{httpMethod}/rateLimit",
        "remove /apiStages/{apiId}:{stage}/throttle/{resourcePath}/{httpMethod}/burstLimit",
    ];

    /// <summary>Created disabled unless "enabled" is true, as API Gateway; the value (given or generated) is answered once.</summary>
    public async Task<ManagementResult> CreateApiKeyAsync(ManagementRequest request, CancellationToken cancellationToken)
    {
        request.Supports("name", "description", "enabled", "value", "generateDistinctId");
        var (key, value) = await state.CreateKeyAsync(request.String("name") ?? "", request.String("description") ?? "", request.Bool("enabled") ?? false,
            request.String("value"), cancellationToken).ConfigureAwait(false);
        return ManagementResult.Created(ManagementShapes.ApiKey(key, value));
    }

    public async Task<ManagementResult> GetApiKeysAsync(ManagementRequest request, CancellationToken cancellationToken)
    {
        var name = request.Query("name");
        var keys = (await state.Store.ListKeysAsync(cancellationToken).ConfigureAwait(false)).Where(k => name is null || k.Name.StartsWith(name, StringComparison.Ordinal));
        var (page, position) = ManagementPaging.Page(request, keys, k => k.Id);
        var shape = ManagementShapes.Page(page.Select(k => ManagementShapes.ApiKey(k)), position);
        if (request.QueryBool("includeValues") == true)
        {
            shape["warnings"] = new JsonArray("Key values are not returned: the gateway keeps only their SHA-256.");
        }
        return ManagementResult.Ok(shape);
    }

    public async Task<ManagementResult> GetApiKeyAsync(ManagementRequest request, CancellationToken cancellationToken)
    {
        request.QueryBool("includeValue");
        return ManagementResult.Ok(ManagementShapes.ApiKey(await FindKeyAsync(request.Route("api_Key"), cancellationToken).ConfigureAwait(false)));
    }

    public async Task<ManagementResult> UpdateApiKeyAsync(ManagementRequest request, CancellationToken cancellationToken)
    {
        string? name = null, description = null;
        bool? enabled = null;
        foreach (var patch in PatchOperation.Read(request, KeyPatches))
        {
            switch (patch.Path)
            {
                case "/name":
                    name = patch.RequiredValue;
                    break;
                case "/description":
                    description = patch.Value ?? "";
                    break;
                default:
                    enabled = bool.TryParse(patch.RequiredValue, out var parsed)
                        ? parsed
                        : throw ManagementError.BadRequest($"Invalid value for /enabled: '{patch.Value}' is not true or false.");
                    break;
            }
        }
        var key = await state.UpdateKeyAsync(request.Route("api_Key"), name, description, enabled, cancellationToken).ConfigureAwait(false);
        return ManagementResult.Ok(ManagementShapes.ApiKey(key));
    }

    public async Task<ManagementResult> DeleteApiKeyAsync(ManagementRequest request, CancellationToken cancellationToken)
    {
        await state.DeleteKeyAsync(request.Route("api_Key"), cancellationToken).ConfigureAwait(false);
        return ManagementResult.Accepted;
    }

    public async Task<ManagementResult> CreateUsagePlanAsync(ManagementRequest request, CancellationToken cancellationToken)
    {
        request.Supports("name", "description", "apiStages", "throttle", "quota");
        var json = request.Json;
        var stages = new List<PlanApiStage>();
        if (json["apiStages"] is { } apiStages)
        {
            foreach (var item in apiStages as JsonArray ?? throw ManagementRequest.Invalid("apiStages", "a list of {apiId, stage, throttle}"))
            {
                var stage = item as JsonObject ?? throw ManagementRequest.Invalid("apiStages", "a list of {apiId, stage, throttle}");
                var throttles = new Dictionary<string, ThrottleLimit>(StringComparer.Ordinal);
                if (stage["throttle"] is { } methods)
                {
                    foreach (var (method, limit) in methods as JsonObject ?? throw ManagementRequest.Invalid("apiStages.throttle", "an object of {burstLimit, rateLimit}"))
                    {
                        throttles[method] = Throttle(limit, "apiStages.throttle." + method)!;
                    }
                }
                stages.Add(new PlanApiStage(Text(stage, "apiId"), Text(stage, "stage"), throttles));
            }
        }
        QuotaLimit? quota = null;
        if (json["quota"] is { } quotaNode)
        {
            var quotaObject = quotaNode as JsonObject ?? throw ManagementRequest.Invalid("quota", "{limit, offset, period}");
            quota = new QuotaLimit(Int(quotaObject["limit"], "quota.limit") ?? 0, Int(quotaObject["offset"], "quota.offset") ?? 0,
                Period(quotaObject["period"] is JsonValue period && period.TryGetValue<string>(out var text) ? text : null));
        }
        var plan = await state.CreatePlanAsync(request.RequiredString("name"), request.String("description") ?? "", Throttle(json["throttle"], "throttle"), quota, stages,
            cancellationToken).ConfigureAwait(false);
        return ManagementResult.Created(ManagementShapes.UsagePlan(plan));
    }

    public async Task<ManagementResult> GetUsagePlansAsync(ManagementRequest request, CancellationToken cancellationToken)
    {
        var keyId = request.Query("keyId");
        var plans = (await state.Store.ListPlansAsync(cancellationToken).ConfigureAwait(false)).Where(p => keyId is null || p.KeyIds.Contains(keyId));
        var (page, position) = ManagementPaging.Page(request, plans, p => p.Id);
        return ManagementResult.Ok(ManagementShapes.Page(page.Select(ManagementShapes.UsagePlan), position));
    }

    public async Task<ManagementResult> GetUsagePlanAsync(ManagementRequest request, CancellationToken cancellationToken) =>
        ManagementResult.Ok(ManagementShapes.UsagePlan(await FindPlanAsync(request, cancellationToken).ConfigureAwait(false)));

    /// <summary>Applies every patch to a copy of the plan, then stores it through the same checks as a new plan: all or nothing.</summary>
    public async Task<ManagementResult> UpdateUsagePlanAsync(ManagementRequest request, CancellationToken cancellationToken)
    {
        var patches = PatchOperation.Read(request, PlanPatches);
        var plan = await FindPlanAsync(request, cancellationToken).ConfigureAwait(false);
        var (name, description, throttle, quota) = (plan.Name, plan.Description, plan.Throttle, plan.Quota);
        var stages = plan.ApiStages.ToList();
        var methodThrottles = new Dictionary<string, MethodThrottlePatches>(StringComparer.Ordinal);
        foreach (var patch in patches)
        {
            switch (patch.Template)
            {
                case "replace /name":
                    name = patch.RequiredValue;
                    break;
                case "replace /description":
                    description = patch.Value ?? "";
                    break;
                case "replace /throttle/rateLimit":
                    throttle = new ThrottleLimit(ManagementRequest.ParseDouble("/throttle/rateLimit", patch.RequiredValue), throttle?.Burst ?? 0);
                    break;
                case "replace /throttle/burstLimit":
                    throttle = new ThrottleLimit(throttle?.Rate ?? 0, ManagementRequest.ParseInt("/throttle/burstLimit", patch.RequiredValue, 0, int.MaxValue));
                    break;
                case "remove /throttle":
                    throttle = null;
                    break;
                case "replace /quota/limit":
                    quota = new QuotaLimit(ManagementRequest.ParseInt("/quota/limit", patch.RequiredValue, 0, int.MaxValue), quota?.Offset ?? 0, quota?.Period ?? QuotaPeriodKind.Day);
                    break;
                case "replace /quota/offset":
                    quota = new QuotaLimit(quota?.Limit ?? 0, ManagementRequest.ParseInt("/quota/offset", patch.RequiredValue, 0, int.MaxValue), quota?.Period ?? QuotaPeriodKind.Day);
                    break;
                case "replace /quota/period":
                    quota = new QuotaLimit(quota?.Limit ?? 0, quota?.Offset ?? 0, Period(patch.RequiredValue));
                    break;
                case "remove /quota":
                    quota = null;
                    break;
                case var template when template.StartsWith("replace /apiStages/", StringComparison.Ordinal) || template.StartsWith("remove /apiStages/", StringComparison.Ordinal):
                    var segments = patch.Path.Split('/');
                    var (throttledApi, throttledStage) = ApiStage(segments[2]);
                    if (!stages.Any(s => s.ApiId == throttledApi && s.Stage == throttledStage))
                    {
                        throw ManagementError.NotFound($"Usage plan '{plan.Id}' has no API stage {segments[2]}.");
                    }
                    if (!methodThrottles.TryGetValue(segments[2], out var stageThrottles))
                    {
                        stageThrottles = new MethodThrottlePatches(stages.First(s => s.ApiId == throttledApi && s.Stage == throttledStage).MethodThrottles);
                        methodThrottles[segments[2]] = stageThrottles;
                    }
                    stageThrottles.Apply(MethodThrottlePatches.MethodKey(segments[4], segments[5]), segments[6], patch);
                    break;
                default:
                    var (apiId, stage) = ApiStage(patch.RequiredValue);
                    var index = stages.FindIndex(s => s.ApiId == apiId && s.Stage == stage);
                    if (patch.Op == "add" && index < 0)
                    {
                        stages.Add(new PlanApiStage(apiId, stage, new Dictionary<string, ThrottleLimit>()));
                    }
                    else if (patch.Op == "remove")
                    {
                        stages.RemoveAt(index >= 0 ? index : throw ManagementError.NotFound($"Usage plan '{plan.Id}' has no API stage {patch.Value}."));
                    }
                    break;
            }
        }
        foreach (var (apiStage, throttles) in methodThrottles)
        {
            var (apiId, stage) = ApiStage(apiStage);
            var index = stages.FindIndex(s => s.ApiId == apiId && s.Stage == stage);
            if (index >= 0)
            {
                stages[index] = stages[index] with { MethodThrottles = throttles.Result(throttle ?? MethodThrottlePatches.AccountDefault) };
            }
        }
        var updated = await state.CreatePlanAsync(name, description, throttle, quota, stages, cancellationToken, plan.Id).ConfigureAwait(false);
        return ManagementResult.Ok(ManagementShapes.UsagePlan(updated));
    }

    public async Task<ManagementResult> DeleteUsagePlanAsync(ManagementRequest request, CancellationToken cancellationToken)
    {
        await state.DeletePlanAsync(request.Route("usageplanId"), cancellationToken).ConfigureAwait(false);
        return ManagementResult.Accepted;
    }

    public async Task<ManagementResult> CreateUsagePlanKeyAsync(ManagementRequest request, CancellationToken cancellationToken)
    {
        request.Supports("keyId", "keyType");
        if (request.RequiredString("keyType") != "API_KEY")
        {
            throw ManagementError.BadRequest($"keyType '{request.String("keyType")}' is not supported: the only key type is API_KEY.");
        }
        var keyId = request.RequiredString("keyId");
        await state.AddPlanKeyAsync(request.Route("usageplanId"), keyId, cancellationToken).ConfigureAwait(false);
        return ManagementResult.Created(ManagementShapes.UsagePlanKey(await FindKeyAsync(keyId, cancellationToken).ConfigureAwait(false)));
    }

    public async Task<ManagementResult> GetUsagePlanKeysAsync(ManagementRequest request, CancellationToken cancellationToken)
    {
        var plan = await FindPlanAsync(request, cancellationToken).ConfigureAwait(false);
        var name = request.Query("name");
        var keys = (await state.Store.ListKeysAsync(cancellationToken).ConfigureAwait(false))
            .Where(k => plan.KeyIds.Contains(k.Id) && (name is null || k.Name.StartsWith(name, StringComparison.Ordinal)));
        var (page, position) = ManagementPaging.Page(request, keys, k => k.Id);
        return ManagementResult.Ok(ManagementShapes.Page(page.Select(ManagementShapes.UsagePlanKey), position));
    }

    public async Task<ManagementResult> DeleteUsagePlanKeyAsync(ManagementRequest request, CancellationToken cancellationToken)
    {
        await state.RemovePlanKeyAsync(request.Route("usageplanId"), request.Route("keyId"), cancellationToken).ConfigureAwait(false);
        return ManagementResult.Accepted;
    }

    /// <summary>
    /// GET .../usage: for each key of the plan, one [used, remaining] pair per day from startDate to
    /// endDate; remaining is what the quota had left at the end of the day (-1 without a quota).
    /// </summary>
    public async Task<ManagementResult> GetUsageAsync(ManagementRequest request, CancellationToken cancellationToken)
    {
        var planId = request.Route("usageplanId");
        var from = Date(request, "startDate");
        var to = Date(request, "endDate");
        if (request.Query("limit") is { } limit)
        {
            ManagementRequest.ParseInt("limit", limit, 1, ManagementPaging.MaxLimit);
        }
        var keyId = request.Query("keyId");
        var (plan, items) = await state.GetUsageAsync(planId, from, to, keyId, cancellationToken).ConfigureAwait(false);
        var values = new JsonObject();
        foreach (var key in plan.KeyIds.Where(k => keyId is null || k == keyId).Union(items.Select(i => i.KeyId)).Order(StringComparer.Ordinal))
        {
            var recorded = items.FirstOrDefault(i => i.KeyId == key).Days?.ToDictionary(d => d.Day) ?? [];
            values[key] = new JsonArray([.. Days(plan, from, to, recorded).Select(d => (JsonNode)new JsonArray(d.Used, d.Remaining))]);
        }
        return ManagementResult.Ok(new JsonObject
        {
            ["usagePlanId"] = plan.Id,
            ["startDate"] = request.Query("startDate"),
            ["endDate"] = request.Query("endDate"),
            ["values"] = values,
        });
    }

    /// <summary>Every day of the range: a recorded day as recorded; a day without requests used 0 and left what the quota left (the day before in its period, or, before any, the next recorded day's remaining plus its use).</summary>
    private static IEnumerable<(long Used, long Remaining)> Days(UsagePlanRecord plan, DateOnly from, DateOnly to,
        IReadOnlyDictionary<DateOnly, (DateOnly Day, long Used, long Remaining)> recorded)
    {
        long? carried = null;
        for (var day = from; day <= to; day = day.AddDays(1))
        {
            if (recorded.TryGetValue(day, out var record))
            {
                carried = record.Remaining;
                yield return (record.Used, record.Remaining);
                continue;
            }
            if (plan.Quota is not { } quota)
            {
                yield return (0, -1);
                continue;
            }
            var start = QuotaPeriods.Start(quota.Period, day);
            if (day == start)
            {
                carried = null;
            }
            if (carried is null)
            {
                var next = recorded.Values.Where(r => r.Day > day && r.Day <= QuotaPeriods.End(quota.Period, start)).OrderBy(r => r.Day).FirstOrDefault();
                carried = next.Day != default ? next.Remaining + next.Used : QuotaPeriods.LimitFor(plan, quota, start);
            }
            yield return (0, carried.Value);
        }
    }

    private async Task<ApiKeyRecord> FindKeyAsync(string keyId, CancellationToken cancellationToken) =>
        (await state.Store.ListKeysAsync(cancellationToken).ConfigureAwait(false)).FirstOrDefault(k => k.Id == keyId)
            ?? throw ManagementError.NotFound($"Invalid API Key identifier specified: no API key with id '{keyId}'.");

    private async Task<UsagePlanRecord> FindPlanAsync(ManagementRequest request, CancellationToken cancellationToken)
    {
        var id = request.Route("usageplanId");
        return (await state.Store.ListPlansAsync(cancellationToken).ConfigureAwait(false)).FirstOrDefault(p => p.Id == id)
            ?? throw ManagementError.NotFound($"Invalid Usage Plan ID specified: no usage plan with id '{id}'.");
    }

    private static DateOnly Date(ManagementRequest request, string name) => request.Query(name) switch
    {
        null or "" => throw ManagementError.BadRequest($"{name} is required."),
        var text when DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date) => date,
        var text => throw ManagementError.BadRequest($"Invalid {name}: '{text}' is not a date (yyyy-MM-dd)."),
    };

    private static (string ApiId, string Stage) ApiStage(string value) => value.Split(':') is [{ Length: > 0 } apiId, { Length: > 0 } stage]
        ? (apiId, stage)
        : throw ManagementError.BadRequest($"Invalid API stage '{value}': expected apiId:stageName.");

    private static QuotaPeriodKind Period(string? text) => text switch
    {
        "DAY" => QuotaPeriodKind.Day,
        "WEEK" => QuotaPeriodKind.Week,
        "MONTH" => QuotaPeriodKind.Month,
        _ => throw ManagementError.BadRequest($"Invalid quota period '{text}': expected DAY, WEEK or MONTH."),
    };

    private static ThrottleLimit? Throttle(JsonNode? node, string name)
    {
        if (node is null)
        {
            return null;
        }
        var settings = node as JsonObject ?? throw ManagementRequest.Invalid(name, "{burstLimit, rateLimit}");
        var rate = settings["rateLimit"] is JsonValue r && r.TryGetValue<double>(out var parsedRate) ? parsedRate
            : settings["rateLimit"] is null ? 0 : throw ManagementRequest.Invalid(name + ".rateLimit", "a number");
        return new ThrottleLimit(rate, Int(settings["burstLimit"], name + ".burstLimit") ?? 0);
    }

    private static int? Int(JsonNode? node, string name) => node switch
    {
        null => null,
        JsonValue value when value.TryGetValue<int>(out var number) => number,
        _ => throw ManagementRequest.Invalid(name, "a whole number"),
    };

    private static string Text(JsonObject node, string name) =>
        node[name] is JsonValue value && value.TryGetValue<string>(out var text) && text.Length > 0
            ? text
            : throw ManagementError.BadRequest($"apiStages entries need '{name}'.");
}
