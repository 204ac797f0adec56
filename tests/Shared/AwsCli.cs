using System.Diagnostics;

namespace Sluice.Tests.Shared;

/// <summary>
/// The real AWS CLI (/usr/bin/aws), run as a user would against a Sluice endpoint but kept from the machine's own AWS
/// set-up: credentials only from the environment given here, empty config and credentials files, no instance
/// metadata lookups, no pager.
/// </summary>
public static class AwsCli
{
    /// <summary>Runs <c>aws</c> with <paramref name="arguments"/>; its exit code, stdout and stderr. A run past 90 s is killed.</summary>
    /// <param name="emptyConfigFile">An empty file standing in for ~/.aws/config and ~/.aws/credentials.</param>
    /// <param name="maxAttempts">AWS_MAX_ATTEMPTS when set: 1 when a refused call is asserted rather than retried.</param>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(IEnumerable<string> arguments, string accessKeyId, string secretAccessKey,
        string emptyConfigFile, int? maxAttempts = null)
    {
        var start = new ProcessStartInfo("/usr/bin/aws") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        start.Environment["AWS_ACCESS_KEY_ID"] = accessKeyId;
        start.Environment["AWS_SECRET_ACCESS_KEY"] = secretAccessKey;
        start.Environment["AWS_DEFAULT_REGION"] = "us-east-1";
        start.Environment["AWS_EC2_METADATA_DISABLED"] = "true";
        start.Environment["AWS_CONFIG_FILE"] = emptyConfigFile;
        start.Environment["AWS_SHARED_CREDENTIALS_FILE"] = emptyConfigFile;
        start.Environment["AWS_PAGER"] = "";
        if (maxAttempts is { } attempts)
        {
            start.Environment["AWS_MAX_ATTEMPTS"] = attempts.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        start.Environment.Remove("AWS_PROFILE");
        start.Environment.Remove("AWS_SESSION_TOKEN");
        using var process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        return (process.ExitCode, await stdout, await stderr);
    }
}
