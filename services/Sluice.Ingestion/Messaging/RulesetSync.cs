using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Configuration;
using Sluice.ServiceDefaults;
using Sluice.Validation.V1;

namespace Sluice.Ingestion.Messaging;

/// <summary>
/// Makes the validation service's current ruleset for a source the one in the source's
/// definition, before the source's dataset is announced: registered when absent or different,
/// left alone when the same text is already current. The validation service is found at
/// Sluice:Services:Validation:Address, else through the host's <see cref="IServiceAddressResolver"/>.
/// (Its own channel: the gateway already holds the client name "Validation" for another client type.)
/// </summary>
internal sealed class RulesetSync(IConfiguration configuration, IServiceProvider services) : IDisposable
{
    private readonly Lazy<GrpcChannel> _channel = new(() =>
    {
        var configured = configuration["Sluice:Services:Validation:Address"];
        var address = !string.IsNullOrEmpty(configured) ? new Uri(configured)
            : services.GetService<IServiceAddressResolver>()?.Resolve("Validation")
            ?? throw new InvalidOperationException("No address for the Validation service: set Sluice:Services:Validation:Address.");
        return GrpcChannel.ForAddress(address);
    });

    public async Task EnsureAsync(string source, string ruleset, CancellationToken cancellationToken)
    {
        var client = new ValidationService.ValidationServiceClient(_channel.Value);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        try
        {
            var current = await client.GetRulesetAsync(new GetRulesetRequest { Source = source }, deadline: deadline, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (current.Ruleset.RulesetText == ruleset)
            {
                return;
            }
        }
        catch (RpcException exception) when (exception.StatusCode == StatusCode.NotFound)
        {
        }
        await client.RegisterRulesetAsync(new RegisterRulesetRequest { Source = source, RulesetText = ruleset }, deadline: deadline, cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    public void Dispose()
    {
        if (_channel.IsValueCreated)
        {
            _channel.Value.Dispose();
        }
    }
}
