using System.Security.Cryptography;
using System.Text.Json;

namespace Sluice.Aws;

/// <summary>
/// An access key pair created once for a local (embedded) endpoint and kept in a file readable by
/// its owner only, so the same key works across restarts without any configuration.
/// </summary>
/// <param name="AccessKeyId">"AKSL" and 16 base-32 characters.</param>
/// <param name="SecretAccessKey">40 characters of base-64.</param>
public sealed record LocalAccessKey(string AccessKeyId, string SecretAccessKey)
{
    /// <summary>Reads the key kept at <paramref name="path"/>, or creates it (and its directory) when there is none.</summary>
    /// <param name="path">The JSON file the key is kept in.</param>
    public static LocalAccessKey LoadOrCreate(string path)
    {
        if (File.Exists(path) && JsonSerializer.Deserialize<LocalAccessKey>(File.ReadAllText(path)) is { AccessKeyId.Length: > 0, SecretAccessKey.Length: > 0 } stored)
        {
            return stored;
        }
        var key = new LocalAccessKey(
            "AKSL" + RandomNumberGenerator.GetString("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16),
            Convert.ToBase64String(RandomNumberGenerator.GetBytes(30)));
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllText(path, JsonSerializer.Serialize(key));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        return key;
    }
}
