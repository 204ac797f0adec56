using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sluice.Gateway.Pipeline;
using Sluice.Gateway.Storage;

namespace Sluice.Gateway.State;

/// <summary>
/// Loads the stored state, deploys the OpenAPI files named in Sluice:Gateway:Apis, and (when on)
/// the sample data API with its key and plan, printing the curl line that calls it.
/// </summary>
internal sealed class GatewayStartup(GatewayState state, IOptions<GatewayOptions> options, GatewayRestEndpoint rest, IHostApplicationLifetime lifetime, ILogger<GatewayStartup> logger) : IHostedService
{
    public const string SampleApiId = "sample", SampleStage = "dev", SamplePlanId = "sample-plan", SampleKeyName = "sample";

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await state.LoadAsync(cancellationToken).ConfigureAwait(false);
        foreach (var api in options.Value.Apis)
        {
            await DeployFileAsync(api.Id, api.File, api.Stage, api.Variables, cancellationToken).ConfigureAwait(false);
        }
        string? sampleKey = null;
        if (options.Value.Sample.Enabled)
        {
            sampleKey = await DeploySampleAsync(cancellationToken).ConfigureAwait(false);
        }
        lifetime.ApplicationStarted.Register(() =>
        {
            if (rest.BaseAddress is not { } address)
            {
                return;
            }
            GatewayLog.RestListening(logger, address);
            // Printed (not only logged) so the README's first command shows how to call it.
            Console.WriteLine($"  {"Gateway",-11} REST   {address}/{{apiId}}/{{stage}}/...");
            if (sampleKey is not null)
            {
                Console.WriteLine($"  Sample API  curl -H 'x-api-key: {sampleKey}' '{address}/{SampleApiId}/{SampleStage}/sales?min_amount=1000'");
            }
        });
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private async Task DeployFileAsync(string id, string file, string stage, IReadOnlyDictionary<string, string> variables, CancellationToken cancellationToken)
    {
        string document;
        try
        {
            document = await File.ReadAllTextAsync(file, cancellationToken).ConfigureAwait(false);
        }
        catch (IOException exception)
        {
            throw new InvalidOperationException($"The API document '{file}' (Sluice:Gateway) cannot be read: {exception.Message}", exception);
        }
        try
        {
            await state.ImportApiAsync(id, document, cancellationToken).ConfigureAwait(false);
        }
        catch (Definitions.ApiDocumentException exception)
        {
            throw new InvalidOperationException($"The API document '{file}' cannot be used: {exception.Message}", exception);
        }
        await state.DeployAsync(id, stage, variables, new Dictionary<string, ThrottleLimit>(), cancellationToken).ConfigureAwait(false);
        GatewayLog.ApiDeployedAtStart(logger, id, stage, file);
    }

    /// <returns>The sample key's value.</returns>
    private async Task<string> DeploySampleAsync(CancellationToken cancellationToken)
    {
        var sample = options.Value.Sample;
        await DeployFileAsync(SampleApiId, sample.File, SampleStage, new Dictionary<string, string>(), cancellationToken).ConfigureAwait(false);
        var plan = await state.CreatePlanAsync("Sample plan", "The sample data API's plan: 10 requests/s, burst 20, 10000 a day.",
            new ThrottleLimit(10, 20), new QuotaLimit(10_000, 0, QuotaPeriodKind.Day),
            [new PlanApiStage(SampleApiId, SampleStage, new Dictionary<string, ThrottleLimit>())], cancellationToken, SamplePlanId).ConfigureAwait(false);
        string value;
        ApiKeyRecord key;
        if (!string.IsNullOrEmpty(sample.ApiKey) && state.FindKey(sample.ApiKey) is { } existing)
        {
            (key, value) = (existing, sample.ApiKey);
        }
        else
        {
            // A generated value is never stored in clear, so an earlier generated sample key cannot be shown again: replace it.
            foreach (var old in (await state.Store.ListKeysAsync(cancellationToken).ConfigureAwait(false)).Where(k => k.Name == SampleKeyName))
            {
                await state.DeleteKeyAsync(old.Id, cancellationToken).ConfigureAwait(false);
            }
            (key, value) = await state.CreateKeyAsync(SampleKeyName, "The sample data API's key.", true, sample.ApiKey, cancellationToken).ConfigureAwait(false);
        }
        if (!plan.KeyIds.Contains(key.Id))
        {
            await state.AddPlanKeyAsync(SamplePlanId, key.Id, cancellationToken).ConfigureAwait(false);
        }
        return value;
    }
}
