using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace Sluice.Query.DataApi;

/// <summary>
/// The access keys the Data API accepts: the configured ones, or (embedded profile, none
/// configured) one local key created once and kept in {DataDirectory}/dataapi-credentials.json.
/// </summary>
public sealed class DataApiCredentials
{
    public DataApiCredentials(IOptions<QueryOptions> options)
    {
        var configured = options.Value.DataApiAccessKeys.Where(k => k.AccessKeyId.Length > 0 && k.SecretAccessKey.Length > 0).ToList();
        if (configured.Count > 0)
        {
            Keys = configured;
            return;
        }
        var path = Path.Combine(options.Value.DataDirectory, "dataapi-credentials.json");
        if (File.Exists(path) && JsonSerializer.Deserialize<DataApiAccessKey>(File.ReadAllText(path)) is { AccessKeyId.Length: > 0 } stored)
        {
            LocalKey = stored;
        }
        else
        {
            LocalKey = new DataApiAccessKey
            {
                AccessKeyId = "AKSL" + RandomNumberGenerator.GetString("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16),
                SecretAccessKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(30)),
            };
            Directory.CreateDirectory(options.Value.DataDirectory);
            File.WriteAllText(path, JsonSerializer.Serialize(LocalKey));
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }
        }
        Keys = [LocalKey];
    }

    public IReadOnlyList<DataApiAccessKey> Keys { get; }

    /// <summary>The key created for the embedded profile; null when keys are configured.</summary>
    public DataApiAccessKey? LocalKey { get; }
}
