using Grpc.Core;
using Grpc.Net.ClientFactory;
using Sluice.Validation.V1;

namespace Sluice.Ingestion.Messaging;

/// <summary>
/// Makes the validation service's current ruleset for a source the one in the source's
/// definition, before the source's dataset is announced: registered when absent or different,
/// left alone when the same text is already current. The validation service is found at
/// Sluice:Services:Validation:Address, else in this same process (the all-in-one host).
/// </summary>
internal sealed class RulesetSync(GrpcClientFactory clients)
{
    /// <summary>The client's name: the gateway of an all-in-one host already holds "Validation" for its own client.</summary>
    public const string ClientName = "Ingestion.Validation";

    public async Task EnsureAsync(string source, string ruleset, CancellationToken cancellationToken)
    {
        var client = clients.CreateClient<ValidationService.ValidationServiceClient>(ClientName);
        try
        {
            var current = await client.GetRulesetAsync(new GetRulesetRequest { Source = source }, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (current.Ruleset.RulesetText == ruleset)
            {
                return;
            }
        }
        catch (RpcException exception) when (exception.StatusCode == StatusCode.NotFound)
        {
        }
        await client.RegisterRulesetAsync(new RegisterRulesetRequest { Source = source, RulesetText = ruleset }, cancellationToken: cancellationToken).ConfigureAwait(false);
    }
}
