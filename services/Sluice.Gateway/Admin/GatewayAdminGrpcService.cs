using System.Globalization;
using Grpc.Core;
using Sluice.Gateway.Caching;
using Sluice.Gateway.State;
using Sluice.Gateway.Storage;
using Sluice.Gateway.V1;

namespace Sluice.Gateway.Admin;

/// <summary>sluice.gateway.v1.GatewayAdminService: thin mapping between the contract and <see cref="GatewayState"/>.</summary>
internal sealed class GatewayAdminGrpcService(GatewayState state, IServiceProvider services, TimeProvider time) : GatewayAdminService.GatewayAdminServiceBase
{
    public override Task<TestInvokeMethodResponse> TestInvokeMethod(TestInvokeMethodRequest request, ServerCallContext context) =>
        Pipeline.TestInvocation.RunAsync(services, request, context.CancellationToken);

    public override Task<RenderTemplateResponse> RenderTemplate(RenderTemplateRequest request, ServerCallContext context) =>
        Task.FromResult(Mapping.TemplateRenderer.Render(request, time));

    public override async Task<ImportApiResponse> ImportApi(ImportApiRequest request, ServerCallContext context)
    {
        var (api, _) = await state.ImportApiAsync(null, request.Document, context.CancellationToken).ConfigureAwait(false);
        return new ImportApiResponse { Api = ToProto(api, []) };
    }

    public override async Task<PutApiResponse> PutApi(PutApiRequest request, ServerCallContext context)
    {
        Require(request.ApiId, "api_id");
        var api = await state.PutApiAsync(request.ApiId, request.Document, context.CancellationToken).ConfigureAwait(false);
        return new PutApiResponse { Api = ToProto(api, StagesOf(api.Id)) };
    }

    public override async Task<ListApisResponse> ListApis(ListApisRequest request, ServerCallContext context)
    {
        var response = new ListApisResponse();
        foreach (var api in await state.Store.ListApisAsync(context.CancellationToken).ConfigureAwait(false))
        {
            response.Apis.Add(ToProto(api, StagesOf(api.Id)));
        }
        return response;
    }

    public override async Task<DeleteApiResponse> DeleteApi(DeleteApiRequest request, ServerCallContext context)
    {
        Require(request.ApiId, "api_id");
        await state.DeleteApiAsync(request.ApiId, context.CancellationToken).ConfigureAwait(false);
        return new DeleteApiResponse();
    }

    public override async Task<CreateDeploymentResponse> CreateDeployment(CreateDeploymentRequest request, ServerCallContext context)
    {
        Require(request.ApiId, "api_id");
        if (request.StageName.Length == 0)
        {
            if (request.Variables.Count > 0 || request.MethodThrottles.Count > 0 || request.Cache is not null || request.HasStageDescription)
            {
                throw new GatewayArgumentException("stage_name", "variables, method_throttles, cache and stage_description are a stage's: give stage_name too.");
            }
            var deployment = await state.CreateDeploymentAsync(request.ApiId, request.Description, context.CancellationToken).ConfigureAwait(false);
            return new CreateDeploymentResponse { Deployment = ToProto(deployment) };
        }
        var stage = await state.DeployAsync(request.ApiId, request.StageName, request.Variables,
            request.MethodThrottles.ToDictionary(t => t.Key, t => ToLimit(t.Value)), context.CancellationToken,
            request.Cache is null ? null : StageCacheRules.FromProto(request.Cache), request.Description,
            request.HasStageDescription ? request.StageDescription : null).ConfigureAwait(false);
        var deployed = await state.FindDeploymentAsync(stage.ApiId, stage.DeploymentId, context.CancellationToken).ConfigureAwait(false);
        return new CreateDeploymentResponse { Stage = ToProto(stage), Deployment = ToProto(deployed) };
    }

    public override async Task<UpdateDeploymentResponse> UpdateDeployment(UpdateDeploymentRequest request, ServerCallContext context)
    {
        Require(request.ApiId, "api_id");
        Require(request.DeploymentId, "deployment_id");
        var deployment = await state.UpdateDeploymentAsync(request.ApiId, request.DeploymentId, request.Description, context.CancellationToken).ConfigureAwait(false);
        return new UpdateDeploymentResponse { Deployment = ToProto(deployment) };
    }

    public override async Task<UpdateStageResponse> UpdateStage(UpdateStageRequest request, ServerCallContext context)
    {
        Require(request.ApiId, "api_id");
        Require(request.StageName, "stage_name");
        var cache = request.Cache is null ? null : StageCacheRules.FromProto(request.Cache);
        var stage = await state.UpdateStageAsync(request.ApiId, request.StageName, s => s with
        {
            Description = request.HasDescription ? request.Description : s.Description,
            DeploymentId = request.HasDeploymentId ? request.DeploymentId : s.DeploymentId,
            Cache = cache ?? s.Cache,
        }, context.CancellationToken).ConfigureAwait(false);
        return new UpdateStageResponse { Stage = ToProto(stage) };
    }

    public override async Task<DeleteStageResponse> DeleteStage(DeleteStageRequest request, ServerCallContext context)
    {
        Require(request.ApiId, "api_id");
        Require(request.StageName, "stage_name");
        await state.DeleteStageAsync(request.ApiId, request.StageName, context.CancellationToken).ConfigureAwait(false);
        return new DeleteStageResponse();
    }

    public override async Task<ListStagesResponse> ListStages(ListStagesRequest request, ServerCallContext context)
    {
        var response = new ListStagesResponse();
        foreach (var stage in await state.Store.ListStagesAsync(context.CancellationToken).ConfigureAwait(false))
        {
            if (request.ApiId.Length == 0 || stage.ApiId == request.ApiId)
            {
                response.Stages.Add(ToProto(stage));
            }
        }
        return response;
    }

    public override async Task<UpdateStageAccessLogResponse> UpdateStageAccessLog(UpdateStageAccessLogRequest request, ServerCallContext context)
    {
        Require(request.ApiId, "api_id");
        Require(request.StageName, "stage_name");
        var settings = request.AccessLog is null ? null : new StageAccessLogSettings(request.AccessLog.Format, request.AccessLog.DestinationArn);
        var stage = await state.UpdateStageAsync(request.ApiId, request.StageName, s => s with { AccessLog = settings }, context.CancellationToken).ConfigureAwait(false);
        return new UpdateStageAccessLogResponse { Stage = ToProto(stage) };
    }

    public override async Task<FlushStageCacheResponse> FlushStageCache(FlushStageCacheRequest request, ServerCallContext context)
    {
        Require(request.ApiId, "api_id");
        Require(request.StageName, "stage_name");
        await state.FlushStageCacheAsync(request.ApiId, request.StageName, context.CancellationToken).ConfigureAwait(false);
        return new FlushStageCacheResponse();
    }

    public override async Task<CreateApiKeyResponse> CreateApiKey(CreateApiKeyRequest request, ServerCallContext context)
    {
        var (key, value) = await state.CreateKeyAsync(request.Name, request.Description, request.Enabled, request.Value, context.CancellationToken).ConfigureAwait(false);
        return new CreateApiKeyResponse { Key = ToProto(key), Value = value };
    }

    public override async Task<ListApiKeysResponse> ListApiKeys(ListApiKeysRequest request, ServerCallContext context)
    {
        var response = new ListApiKeysResponse();
        response.Keys.AddRange((await state.Store.ListKeysAsync(context.CancellationToken).ConfigureAwait(false)).Select(ToProto));
        return response;
    }

    public override async Task<UpdateApiKeyResponse> UpdateApiKey(UpdateApiKeyRequest request, ServerCallContext context)
    {
        Require(request.Id, "id");
        return new UpdateApiKeyResponse { Key = ToProto(await state.SetKeyEnabledAsync(request.Id, request.Enabled, context.CancellationToken).ConfigureAwait(false)) };
    }

    public override async Task<DeleteApiKeyResponse> DeleteApiKey(DeleteApiKeyRequest request, ServerCallContext context)
    {
        Require(request.Id, "id");
        await state.DeleteKeyAsync(request.Id, context.CancellationToken).ConfigureAwait(false);
        return new DeleteApiKeyResponse();
    }

    public override async Task<CreateUsagePlanResponse> CreateUsagePlan(CreateUsagePlanRequest request, ServerCallContext context)
    {
        QuotaLimit? quota = null;
        if (request.Quota is { } q)
        {
            var period = q.Period switch
            {
                QuotaPeriod.Day => QuotaPeriodKind.Day,
                QuotaPeriod.Week => QuotaPeriodKind.Week,
                QuotaPeriod.Month => QuotaPeriodKind.Month,
                _ => throw new GatewayArgumentException("quota.period", "A quota needs a period: DAY, WEEK or MONTH."),
            };
            quota = new QuotaLimit(q.Limit, q.Offset, period);
        }
        var stages = request.ApiStages.Select(s => new PlanApiStage(s.ApiId, s.Stage, s.Throttle.ToDictionary(t => t.Key, t => ToLimit(t.Value)))).ToList();
        var plan = await state.CreatePlanAsync(request.Name, request.Description, request.Throttle is null ? null : ToLimit(request.Throttle), quota, stages, context.CancellationToken).ConfigureAwait(false);
        return new CreateUsagePlanResponse { Plan = ToProto(plan) };
    }

    public override async Task<ListUsagePlansResponse> ListUsagePlans(ListUsagePlansRequest request, ServerCallContext context)
    {
        var response = new ListUsagePlansResponse();
        response.Plans.AddRange((await state.Store.ListPlansAsync(context.CancellationToken).ConfigureAwait(false)).Select(ToProto));
        return response;
    }

    public override async Task<DeleteUsagePlanResponse> DeleteUsagePlan(DeleteUsagePlanRequest request, ServerCallContext context)
    {
        Require(request.Id, "id");
        await state.DeletePlanAsync(request.Id, context.CancellationToken).ConfigureAwait(false);
        return new DeleteUsagePlanResponse();
    }

    public override async Task<CreateUsagePlanKeyResponse> CreateUsagePlanKey(CreateUsagePlanKeyRequest request, ServerCallContext context)
    {
        Require(request.UsagePlanId, "usage_plan_id");
        Require(request.KeyId, "key_id");
        await state.AddPlanKeyAsync(request.UsagePlanId, request.KeyId, context.CancellationToken).ConfigureAwait(false);
        return new CreateUsagePlanKeyResponse();
    }

    public override async Task<DeleteUsagePlanKeyResponse> DeleteUsagePlanKey(DeleteUsagePlanKeyRequest request, ServerCallContext context)
    {
        Require(request.UsagePlanId, "usage_plan_id");
        Require(request.KeyId, "key_id");
        await state.RemovePlanKeyAsync(request.UsagePlanId, request.KeyId, context.CancellationToken).ConfigureAwait(false);
        return new DeleteUsagePlanKeyResponse();
    }

    public override async Task<GetUsageResponse> GetUsage(GetUsageRequest request, ServerCallContext context)
    {
        Require(request.UsagePlanId, "usage_plan_id");
        var from = ParseDate(request.StartDate, "start_date");
        var to = ParseDate(request.EndDate, "end_date");
        var (plan, items) = await state.GetUsageAsync(request.UsagePlanId, from, to, request.KeyId.Length == 0 ? null : request.KeyId, context.CancellationToken).ConfigureAwait(false);
        var response = new GetUsageResponse { UsagePlanId = plan.Id, StartDate = request.StartDate, EndDate = request.EndDate };
        foreach (var (keyId, days) in items)
        {
            var item = new KeyUsage { KeyId = keyId };
            item.Days.AddRange(days.Select(d => new DailyUsage { Date = d.Day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), Used = d.Used, Remaining = d.Remaining }));
            response.Items.Add(item);
        }
        return response;
    }

    private IEnumerable<string> StagesOf(string apiId) => state.Snapshot.Stages.Keys.Where(k => k.ApiId == apiId).Select(k => k.Stage).Order(StringComparer.Ordinal);

    private static void Require(string value, string field)
    {
        if (string.IsNullOrEmpty(value))
        {
            throw new GatewayArgumentException(field, $"{field} is required.");
        }
    }

    private static DateOnly ParseDate(string value, string field) =>
        DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date)
            ? date
            : throw new GatewayArgumentException(field, $"'{value}' is not a date (yyyy-MM-dd).");

    private static ThrottleLimit ToLimit(ThrottleSettings settings) => new(settings.RateLimit, settings.BurstLimit);

    private static ThrottleSettings ToProto(ThrottleLimit limit) => new() { RateLimit = limit.Rate, BurstLimit = limit.Burst };

    private static ApiSummary ToProto(ApiRecord api, IEnumerable<string> stages)
    {
        var summary = new ApiSummary { Id = api.Id, Name = api.Name, Version = api.Version };
        summary.Stages.AddRange(stages);
        return summary;
    }

    private static Stage ToProto(StageRecord stage)
    {
        var proto = new Stage { ApiId = stage.ApiId, StageName = stage.StageName, DeploymentId = stage.DeploymentId, Description = stage.Description };
        foreach (var (name, value) in stage.Variables)
        {
            proto.Variables[name] = value;
        }
        foreach (var (key, limit) in stage.MethodThrottles)
        {
            proto.MethodThrottles[key] = ToProto(limit);
        }
        if (stage.Cache is { } stageCache)
        {
            proto.Cache = StageCacheRules.ToProto(stageCache);
        }
        if (stage.AccessLog is { } accessLog)
        {
            proto.AccessLog = new AccessLogSettings { Format = accessLog.Format, DestinationArn = accessLog.DestinationArn };
        }
        return proto;
    }

    private static Deployment ToProto(DeploymentRecord deployment) => new()
    {
        ApiId = deployment.ApiId,
        Id = deployment.Id,
        Description = deployment.Description,
        CreatedUnixMs = deployment.CreatedUnixMs,
    };

    private static V1.ApiKey ToProto(ApiKeyRecord key) => new()
    {
        Id = key.Id,
        Name = key.Name,
        Enabled = key.Enabled,
        Description = key.Description,
        ValuePrefix = key.ValuePrefix,
        CreatedUnixMs = key.CreatedUnixMs,
    };

    private static UsagePlan ToProto(UsagePlanRecord plan)
    {
        var proto = new UsagePlan { Id = plan.Id, Name = plan.Name, Description = plan.Description };
        if (plan.Throttle is { } throttle)
        {
            proto.Throttle = ToProto(throttle);
        }
        if (plan.Quota is { } quota)
        {
            proto.Quota = new QuotaSettings
            {
                Limit = quota.Limit,
                Offset = quota.Offset,
                Period = quota.Period switch { QuotaPeriodKind.Day => QuotaPeriod.Day, QuotaPeriodKind.Week => QuotaPeriod.Week, _ => QuotaPeriod.Month },
            };
        }
        foreach (var stage in plan.ApiStages)
        {
            var apiStage = new ApiStage { ApiId = stage.ApiId, Stage = stage.Stage };
            foreach (var (key, limit) in stage.MethodThrottles)
            {
                apiStage.Throttle[key] = ToProto(limit);
            }
            proto.ApiStages.Add(apiStage);
        }
        proto.KeyIds.AddRange(plan.KeyIds);
        return proto;
    }
}
