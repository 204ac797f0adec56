using System.Net;
using System.Text.Json;
using Grpc.Core;
using Sluice.Gateway.V1;

namespace Sluice.Gateway.Tests;

/// <summary>
/// Deployments and stages through the sluice.gateway.v1 admin service: a deployment without a
/// stage, UpdateStage, UpdateDeployment and DeleteStage, with refused changes storing nothing.
/// </summary>
public sealed class AdminStageTests : IAsyncLifetime
{
    private GatewayUnderTest _gateway = null!;

    public async Task InitializeAsync() => _gateway = await GatewayUnderTest.StartAsync();

    public async Task DisposeAsync() => await _gateway.DisposeAsync();

    private GatewayAdminService.GatewayAdminServiceClient Admin => _gateway.Admin;

    [Fact]
    public async Task CreateDeployment_WithoutStage_ServedOnceUpdateStagePointsAStageAtIt()
    {
        var apiId = await _gateway.DeployAsync(Documents.Hello("first"), stage: "live", variables: new Dictionary<string, string> { ["who"] = "you" });
        await Admin.PutApiAsync(new PutApiRequest { ApiId = apiId, Document = Documents.Hello("second") }, deadline: GatewayUnderTest.Deadline);

        var created = await Admin.CreateDeploymentAsync(new CreateDeploymentRequest { ApiId = apiId, Description = "second version" }, deadline: GatewayUnderTest.Deadline);
        var beforeRoll = await SayAsync(apiId, "live");
        var rolled = await Admin.UpdateStageAsync(new UpdateStageRequest
        {
            ApiId = apiId,
            StageName = "live",
            DeploymentId = created.Deployment.Id,
            Description = "rolled forward",
        }, deadline: GatewayUnderTest.Deadline);
        var afterRoll = await SayAsync(apiId, "live");
        var renamed = await Admin.UpdateDeploymentAsync(new UpdateDeploymentRequest { ApiId = apiId, DeploymentId = created.Deployment.Id, Description = "v2" },
            deadline: GatewayUnderTest.Deadline);
        var stageless = await Assert.ThrowsAsync<RpcException>(async () => await Admin.CreateDeploymentAsync(
            new CreateDeploymentRequest { ApiId = apiId, Variables = { ["who"] = "nobody" } }, deadline: GatewayUnderTest.Deadline));

        Assert.Null(created.Stage);
        Assert.Equal(("second version", apiId), (created.Deployment.Description, created.Deployment.ApiId));
        Assert.Equal("first you", beforeRoll);
        Assert.Equal((created.Deployment.Id, "rolled forward", "you"), (rolled.Stage.DeploymentId, rolled.Stage.Description, rolled.Stage.Variables["who"]));
        Assert.Equal("second you", afterRoll);
        Assert.Equal("v2", renamed.Deployment.Description);
        Assert.Equal(StatusCode.InvalidArgument, stageless.StatusCode);
        Assert.Contains("stage_name", stageless.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UpdateStage_Refused_NothingStored()
    {
        var apiId = await _gateway.DeployAsync(Documents.Hello("kept"), stage: "live", variables: new Dictionary<string, string> { ["who"] = "you" });
        var before = Assert.Single((await Admin.ListStagesAsync(new ListStagesRequest { ApiId = apiId }, deadline: GatewayUnderTest.Deadline)).Stages);

        var unknownDeployment = await Assert.ThrowsAsync<RpcException>(async () => await Admin.UpdateStageAsync(
            new UpdateStageRequest { ApiId = apiId, StageName = "live", Description = "changed", DeploymentId = "nosuchdep" }, deadline: GatewayUnderTest.Deadline));
        var tinyCache = await Assert.ThrowsAsync<RpcException>(async () => await Admin.UpdateStageAsync(new UpdateStageRequest
        {
            ApiId = apiId,
            StageName = "live",
            Description = "changed",
            Cache = new StageCacheSettings { Enabled = true, CapacityBytes = 1, TtlSeconds = 60 },
        }, deadline: GatewayUnderTest.Deadline));
        var longDescription = await Assert.ThrowsAsync<RpcException>(async () => await Admin.UpdateStageAsync(
            new UpdateStageRequest { ApiId = apiId, StageName = "live", Description = new string('d', 1025) }, deadline: GatewayUnderTest.Deadline));
        var unknownStage = await Assert.ThrowsAsync<RpcException>(async () => await Admin.UpdateStageAsync(
            new UpdateStageRequest { ApiId = apiId, StageName = "nosuchstage", Description = "changed" }, deadline: GatewayUnderTest.Deadline));
        var unknownDeploymentDescription = await Assert.ThrowsAsync<RpcException>(async () => await Admin.UpdateDeploymentAsync(
            new UpdateDeploymentRequest { ApiId = apiId, DeploymentId = "nosuchdep", Description = "changed" }, deadline: GatewayUnderTest.Deadline));
        var after = Assert.Single((await Admin.ListStagesAsync(new ListStagesRequest { ApiId = apiId }, deadline: GatewayUnderTest.Deadline)).Stages);

        Assert.Equal((StatusCode.NotFound, true), (unknownDeployment.StatusCode, unknownDeployment.Status.Detail.Contains("nosuchdep", StringComparison.Ordinal)));
        Assert.Equal((StatusCode.InvalidArgument, true), (tinyCache.StatusCode, tinyCache.Status.Detail.Contains("capacity_bytes", StringComparison.Ordinal)));
        Assert.Equal((StatusCode.InvalidArgument, true), (longDescription.StatusCode, longDescription.Status.Detail.Contains("1024", StringComparison.Ordinal)));
        Assert.Equal(StatusCode.NotFound, unknownStage.StatusCode);
        Assert.Equal(StatusCode.NotFound, unknownDeploymentDescription.StatusCode);
        Assert.Equal(before, after);
        Assert.Equal("kept you", await SayAsync(apiId, "live"));
    }

    [Fact]
    public async Task DeleteStage_StageAndItsPlanAttachmentGo_OtherStagesStay()
    {
        var apiId = await _gateway.DeployAsync(Documents.Metered, stage: "live");
        await Admin.CreateDeploymentAsync(new CreateDeploymentRequest { ApiId = apiId, StageName = "beta" }, deadline: GatewayUnderTest.Deadline);
        var (planId, _, key) = await _gateway.KeyInPlanAsync(apiId, stage: "live");
        await Admin.CreateUsagePlanAsync(new CreateUsagePlanRequest { Name = "beta plan", ApiStages = { new ApiStage { ApiId = apiId, Stage = "beta" } } },
            deadline: GatewayUnderTest.Deadline);
        using var beforeDelete = await _gateway.SendAsync(HttpMethod.Get, $"/{apiId}/live/items", key);

        await Admin.DeleteStageAsync(new DeleteStageRequest { ApiId = apiId, StageName = "live" }, deadline: GatewayUnderTest.Deadline);
        using var afterDelete = await _gateway.SendAsync(HttpMethod.Get, $"/{apiId}/live/items", key);
        var stages = await Admin.ListStagesAsync(new ListStagesRequest { ApiId = apiId }, deadline: GatewayUnderTest.Deadline);
        var plans = await Admin.ListUsagePlansAsync(new ListUsagePlansRequest(), deadline: GatewayUnderTest.Deadline);
        var again = await Assert.ThrowsAsync<RpcException>(async () =>
            await Admin.DeleteStageAsync(new DeleteStageRequest { ApiId = apiId, StageName = "live" }, deadline: GatewayUnderTest.Deadline));

        Assert.Equal(HttpStatusCode.OK, beforeDelete.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, afterDelete.StatusCode);
        Assert.Equal(["beta"], stages.Stages.Select(s => s.StageName));
        Assert.Empty(plans.Plans.Single(p => p.Id == planId).ApiStages);
        Assert.Equal(["beta"], plans.Plans.Single(p => p.Id != planId).ApiStages.Select(s => s.Stage));
        Assert.Equal(StatusCode.NotFound, again.StatusCode);
        Assert.Contains("live", again.Status.Detail, StringComparison.Ordinal);
    }

    private async Task<string> SayAsync(string apiId, string stage)
    {
        using var response = await _gateway.SendAsync(HttpMethod.Get, $"/{apiId}/{stage}/hello");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("say").GetString()!;
    }
}
