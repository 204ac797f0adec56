using System.Net;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Sluice.Gateway.GrpcProxy;
using Sluice.Gateway.Pipeline;
using Sluice.Gateway.V1;
using Sluice.ServiceDefaults;

namespace Sluice.Gateway.Tests;

/// <summary>
/// The gateway service started for real as its own host (as services/Sluice.Gateway runs it): the
/// REST listener and the gRPC admin listener on free loopback ports, state under a directory of
/// its own, and optionally an injected clock. Stopped, and its directory deleted, on dispose.
/// </summary>
public sealed class GatewayUnderTest : IAsyncDisposable
{
    private readonly GrpcChannel _channel;
    private readonly bool _ownsRoot;

    private GatewayUnderTest(WebApplication app, string root, bool ownsRoot)
    {
        App = app;
        Root = root;
        _ownsRoot = ownsRoot;
        var endpoint = app.Services.GetRequiredService<GatewayRestEndpoint>();
        var rest = endpoint.BaseAddress!;
        ProxyAddress = app.Services.GetRequiredService<GatewayGrpcProxyEndpoint>().Address;
        var restPorts = new[]
        {
            endpoint.EndPoint!.Port,
            endpoint.PrivateBaseAddress is { } privateAddress ? new Uri(privateAddress).Port : -1,
            app.Services.GetRequiredService<Management.GatewayManagementListener>().EndPoint?.Port ?? -1,
            ProxyAddress is { } proxy ? new Uri(proxy).Port : -1,
        };
        Http = new HttpClient { BaseAddress = new Uri(rest), Timeout = TimeSpan.FromSeconds(60) };
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        var grpc = addresses.Single(a => !restPorts.Contains(new Uri(a).Port));
        _channel = GrpcChannel.ForAddress(grpc.Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal).Replace("[::]", "127.0.0.1", StringComparison.Ordinal));
        Admin = new GatewayAdminService.GatewayAdminServiceClient(_channel);
    }

    public WebApplication App { get; }

    public string Root { get; }

    /// <summary>A client of the REST listener (HTTP/1.1).</summary>
    public HttpClient Http { get; }

    public GatewayAdminService.GatewayAdminServiceClient Admin { get; }

    /// <summary>The gRPC proxy listener's address (http://127.0.0.1:port), or null when it is off.</summary>
    public string? ProxyAddress { get; }

    public static DateTime Deadline => DateTime.UtcNow.AddSeconds(30);

    public static async Task<GatewayUnderTest> StartAsync(TimeProvider? time = null, IEnumerable<string>? settings = null, string? root = null)
    {
        var ownsRoot = root is null;
        root ??= Path.Combine(Path.GetTempPath(), "sluice-gateway-tests", Guid.NewGuid().ToString("N"));
        string[] args =
        [
            "--Sluice:Gateway:GrpcPort=0", "--Sluice:Gateway:RestPort=0", "--Sluice:Gateway:ManagementPort=-1", "--Sluice:Gateway:GrpcProxyPort=0", "--Sluice:Admin:Port=-1",
            "--Sluice:Gateway:DataDirectory=" + root, "--Logging:LogLevel:Default=Warning",
            .. settings ?? [],
        ];
        var app = StandaloneServiceHost.Build(args, "Gateway", defaultGrpcPort: 0, defaultAdminPort: -1, builder =>
        {
            if (time is not null)
            {
                builder.Services.AddSingleton(time);
            }
            builder.AddGatewayService();
        }, endpoints => endpoints.MapGatewayService());
        try
        {
            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
        return new GatewayUnderTest(app, root, ownsRoot);
    }

    /// <summary>Imports <paramref name="document"/> and deploys it to <paramref name="stage"/>; returns the API id.</summary>
    public async Task<string> DeployAsync(string document, string stage = "test", IDictionary<string, string>? variables = null, IDictionary<string, ThrottleSettings>? stageThrottles = null)
    {
        var api = await Admin.ImportApiAsync(new ImportApiRequest { Document = document }, deadline: Deadline);
        var deployment = new CreateDeploymentRequest { ApiId = api.Api.Id, StageName = stage };
        if (variables is not null)
        {
            deployment.Variables.Add(variables);
        }
        if (stageThrottles is not null)
        {
            deployment.MethodThrottles.Add(stageThrottles);
        }
        await Admin.CreateDeploymentAsync(deployment, deadline: Deadline);
        return api.Api.Id;
    }

    /// <summary>Creates a plan on the API's stage and a key in it; returns the plan id, key id and key value.</summary>
    public async Task<(string PlanId, string KeyId, string Value)> KeyInPlanAsync(string apiId, string stage = "test", ThrottleSettings? throttle = null,
        QuotaSettings? quota = null, IDictionary<string, ThrottleSettings>? methodThrottles = null)
    {
        var apiStage = new ApiStage { ApiId = apiId, Stage = stage };
        if (methodThrottles is not null)
        {
            apiStage.Throttle.Add(methodThrottles);
        }
        var request = new CreateUsagePlanRequest { Name = "plan", Throttle = throttle, Quota = quota, ApiStages = { apiStage } };
        var plan = await Admin.CreateUsagePlanAsync(request, deadline: Deadline);
        var key = await Admin.CreateApiKeyAsync(new CreateApiKeyRequest { Name = "caller", Enabled = true }, deadline: Deadline);
        await Admin.CreateUsagePlanKeyAsync(new CreateUsagePlanKeyRequest { UsagePlanId = plan.Plan.Id, KeyId = key.Key.Id }, deadline: Deadline);
        return (plan.Plan.Id, key.Key.Id, key.Value);
    }

    /// <summary>Sends <paramref name="method"/> <paramref name="path"/> with optional key, headers and body.</summary>
    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? key = null, string? body = null, string contentType = "application/json",
        IDictionary<string, string>? headers = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (key is not null)
        {
            request.Headers.Add("x-api-key", key);
        }
        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }
        if (body is not null)
        {
            request.Content = new StringContent(body);
            request.Content.Headers.Remove("Content-Type");
            request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        }
        return await Http.SendAsync(request);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        _channel.Dispose();
        try
        {
            await App.StopAsync();
        }
        finally
        {
            await App.DisposeAsync();
            if (_ownsRoot)
            {
                try
                {
                    Directory.Delete(Root, recursive: true);
                }
                catch (IOException)
                {
                    // Left for the OS to clean with the temporary folder.
                }
            }
        }
    }
}
