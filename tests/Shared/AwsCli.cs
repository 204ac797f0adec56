using System.Diagnostics;

namespace Sluice.Tests.Shared;

/// <summary>
/// The real AWS CLI (/usr/bin/aws), run as a user would against a Sluice endpoint but kept from the machine's own AWS
/// set-up: credentials only from the environment given here, empty config and credentials files, no instance
/// metadata lookups, no pager.
/// </summary>
public static class AwsCli
{
    private static readonly Lazy<Task<string[]>> CurrentModel = new(FindCurrentModelAsync);

    /// <summary>
    /// The command of an AWS CLI whose redshift-data model is current (GetStatementResultV2, ResultFormat, sessions):
    /// Debian's CLI v2 (2.9.19, early 2023) predates them. It is the AWS CLI v1 that pip installed in the machine's
    /// Python (awscli 1.45 with botocore 1.43 here), run as <c>python3 -m awscli</c>; SLUICE_TEST_AWSCLI_PYTHON names
    /// that Python when it is not the one on PATH.
    /// </summary>
    /// <exception cref="InvalidOperationException">No such CLI is installed; the message says what was looked for.</exception>
    public static Task<string[]> CurrentModelCommandAsync() => CurrentModel.Value;

    private static async Task<string[]> FindCurrentModelAsync()
    {
        var pythons = new List<string>();
        if (Environment.GetEnvironmentVariable("SLUICE_TEST_AWSCLI_PYTHON") is { Length: > 0 } configured)
        {
            pythons.Add(configured);
        }
        pythons.Add("python3");
        var pyenv = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".pyenv", "versions");
        if (Directory.Exists(pyenv))
        {
            pythons.AddRange(Directory.GetDirectories(pyenv).Order(StringComparer.Ordinal).Select(version => Path.Combine(version, "bin", "python3")));
        }
        const string probe = "import awscli, botocore.session; botocore.session.get_session().get_service_model('redshift-data').operation_model('GetStatementResultV2'); print(awscli.__version__)";
        foreach (var python in pythons)
        {
            try
            {
                var (exitCode, _, _) = await RunProcessAsync([python, "-c", probe], new Dictionary<string, string>(), TimeSpan.FromSeconds(60));
                if (exitCode == 0)
                {
                    return [python, "-m", "awscli"];
                }
            }
            catch (System.ComponentModel.Win32Exception)
            {
                // Not installed there: try the next.
            }
        }
        throw new InvalidOperationException(
            $"No AWS CLI with a current redshift-data model (GetStatementResultV2) was found: tried `python3 -m awscli` with {string.Join(", ", pythons)}. Set SLUICE_TEST_AWSCLI_PYTHON to a Python with pip's awscli 1.x.");
    }
    /// <summary>Runs the AWS CLI with <paramref name="arguments"/>; its exit code, stdout and stderr. A run past 90 s is killed.</summary>
    /// <param name="emptyConfigFile">An empty file standing in for ~/.aws/config and ~/.aws/credentials.</param>
    /// <param name="maxAttempts">AWS_MAX_ATTEMPTS when set: 1 when a refused call is asserted rather than retried.</param>
    /// <param name="command">The CLI to run: /usr/bin/aws when null, else e.g. <see cref="CurrentModelCommandAsync"/>'s.</param>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(IEnumerable<string> arguments, string accessKeyId, string secretAccessKey,
        string emptyConfigFile, int? maxAttempts = null, IReadOnlyList<string>? command = null)
    {
        var environment = new Dictionary<string, string>
        {
            ["AWS_ACCESS_KEY_ID"] = accessKeyId,
            ["AWS_SECRET_ACCESS_KEY"] = secretAccessKey,
            ["AWS_DEFAULT_REGION"] = "us-east-1",
            ["AWS_EC2_METADATA_DISABLED"] = "true",
            ["AWS_CONFIG_FILE"] = emptyConfigFile,
            ["AWS_SHARED_CREDENTIALS_FILE"] = emptyConfigFile,
            ["AWS_PAGER"] = "",
        };
        if (maxAttempts is { } attempts)
        {
            environment["AWS_MAX_ATTEMPTS"] = attempts.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        return await RunProcessAsync([.. command ?? ["/usr/bin/aws"], .. arguments], environment, TimeSpan.FromSeconds(90));
    }

    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunProcessAsync(IReadOnlyList<string> commandLine, Dictionary<string, string> environment, TimeSpan limit)
    {
        var start = new ProcessStartInfo(commandLine[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in commandLine.Skip(1))
        {
            start.ArgumentList.Add(argument);
        }
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }
        start.Environment.Remove("AWS_PROFILE");
        start.Environment.Remove("AWS_SESSION_TOKEN");
        using var process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(limit);
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
