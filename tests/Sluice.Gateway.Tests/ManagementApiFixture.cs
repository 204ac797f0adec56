using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Sluice.Gateway.Management;

namespace Sluice.Gateway.Tests;

/// <summary>
/// A gateway whose management API accepts one configured key, and a pet store backend in the
/// shape of petstore-demo-endpoint.execute-api.com (GET lists pets, POST echoes the body it got)
/// that also counts calls to GET /counter.
/// </summary>
public sealed class ManagementApiFixture : IAsyncLifetime
{
    public const string AccessKeyId = "AKIDSLUICEGATEWAY01";
    public const string SecretAccessKey = "sluice-gateway-secret/abc+123";

    private WebApplication _backend = null!;
    private int _counterCalls;

    public GatewayUnderTest Gateway { get; private set; } = null!;

    /// <summary>The --endpoint-url of the management API.</summary>
    public string Endpoint { get; private set; } = "";

    /// <summary>host:port of the pet store backend, for the petstoreHost stage variable.</summary>
    public string PetStoreHost { get; private set; } = "";

    public string EmptyAwsFile { get; } = Path.GetTempFileName();

    /// <summary>AWS's pet store (samples/petstore.yaml).</summary>
    public static string PetStore { get; } = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "samples", "petstore.yaml"));

    /// <summary>The pet store with GET /pets behind an API key, as the developer guide's usage plan tutorial sets "API key required" on it.</summary>
    public static string PetStoreWithKey { get; } = PetStore
        .Replace("  /pets:\n    get:\n", "  /pets:\n    get:\n      security:\n        - api_key: []\n", StringComparison.Ordinal)
        .Replace("\ncomponents:\n", "\ncomponents:\n  securitySchemes:\n    api_key:\n      type: apiKey\n      name: x-api-key\n      in: header\n", StringComparison.Ordinal);

    public async Task InitializeAsync()
    {
        Assert.Contains("api_key: []", PetStoreWithKey, StringComparison.Ordinal);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        _backend = builder.Build();
        _backend.MapGet("/petstore/pets", () => Results.Json(new[] { new { id = 1, type = "dog", price = 249.99 }, new { id = 2, type = "cat", price = 124.99 } }));
        _backend.MapPost("/petstore/pets", async (HttpContext http) =>
        {
            using var reader = new StreamReader(http.Request.Body);
            return Results.Json(new { pet = JsonDocument.Parse(await reader.ReadToEndAsync()).RootElement, message = "success" });
        });
        // Each call answers a new number: a repeated number was served from the stage cache.
        _backend.MapGet("/counter", () => Results.Json(new { call = Interlocked.Increment(ref _counterCalls) }));
        await _backend.StartAsync();
        PetStoreHost = new Uri(_backend.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single()).Authority;
        Gateway = await GatewayUnderTest.StartAsync(settings:
        [
            "--Sluice:Gateway:ManagementPort=0",
            "--Sluice:Gateway:ManagementAccessKeys:0:AccessKeyId=" + AccessKeyId,
            "--Sluice:Gateway:ManagementAccessKeys:0:SecretAccessKey=" + SecretAccessKey,
        ]);
        Endpoint = Gateway.App.Services.GetRequiredService<GatewayManagementListener>().BaseAddress!;
    }

    public async Task DisposeAsync()
    {
        await Gateway.DisposeAsync();
        await _backend.DisposeAsync();
        File.Delete(EmptyAwsFile);
    }

    /// <summary>Runs /usr/bin/aws apigateway with the arguments against the management API; its exit code, stdout and stderr.</summary>
    public async Task<(int Exit, string Stdout, string Stderr)> AwsAsync(IEnumerable<string> arguments, string accessKeyId = AccessKeyId, string secret = SecretAccessKey)
    {
        // One attempt: a refused call is asserted, not retried.
        return await AwsCli.RunAsync(new[] { "apigateway" }.Concat(arguments).Concat(["--endpoint-url", Endpoint, "--region", "us-east-1", "--output", "json"]),
            accessKeyId, secret, EmptyAwsFile, maxAttempts: 1);
    }

    /// <summary>Runs the CLI and parses its JSON output; a failed call fails the test with the CLI's error.</summary>
    public async Task<JsonElement> AwsJsonAsync(params string[] arguments)
    {
        var (exit, stdout, stderr) = await AwsAsync(arguments);
        Assert.True(exit == 0, $"aws apigateway {string.Join(' ', arguments)} exited {exit}: {stderr}");
        return stdout.Length == 0 ? default : JsonDocument.Parse(stdout).RootElement.Clone();
    }

    /// <summary>Runs the CLI expecting a refusal; returns its error message (stderr).</summary>
    public async Task<string> AwsErrorAsync(params string[] arguments)
    {
        var (exit, stdout, stderr) = await AwsAsync(arguments);
        Assert.True(exit != 0, $"aws apigateway {string.Join(' ', arguments)} succeeded: {stdout}");
        return stderr;
    }

    /// <summary>Writes <paramref name="text"/> to a temporary file and returns its fileb:// argument.</summary>
    public string FileArgument(string text)
    {
        var path = Path.Combine(Gateway.Root, "document-" + Guid.NewGuid().ToString("N") + ".yaml");
        File.WriteAllText(path, text);
        return "fileb://" + path;
    }
}
