using Microsoft.Extensions.Options;
using Sluice.Aws;

namespace Sluice.Gateway.Management;

/// <summary>
/// The access keys the management API accepts: Sluice:Gateway:ManagementAccessKeys, or (none
/// configured) one local key kept in {DataDirectory}/management-credentials.json.
/// </summary>
internal sealed class ManagementCredentials
{
    public ManagementCredentials(IOptions<GatewayOptions> options)
    {
        var configured = options.Value.ManagementAccessKeys;
        if (configured.Count > 0)
        {
            SecretsByAccessKey = configured.ToDictionary(k => k.AccessKeyId, k => k.SecretAccessKey, StringComparer.Ordinal);
            return;
        }
        LocalKey = LocalAccessKey.LoadOrCreate(Path.Combine(options.Value.DataDirectory, "management-credentials.json"));
        SecretsByAccessKey = new Dictionary<string, string>(StringComparer.Ordinal) { [LocalKey.AccessKeyId] = LocalKey.SecretAccessKey };
    }

    public IReadOnlyDictionary<string, string> SecretsByAccessKey { get; }

    /// <summary>The key created because none is configured; null otherwise.</summary>
    public LocalAccessKey? LocalKey { get; }
}
