using Sluice.Gateway.Storage;

namespace Sluice.Gateway.AccessLog;

/// <summary>
/// Where a stage's own access log goes. API Gateway takes a CloudWatch Logs or Firehose ARN;
/// Sluice writes files, named <c>file:&lt;path&gt;</c> with a relative path under
/// Sluice:Gateway:DataDirectory (e.g. <c>file:logs/prod-access.log</c>). Anything else is refused.
/// </summary>
internal static class AccessLogDestination
{
    public const string Scheme = "file:";

    public const string Example = "file:logs/prod-access.log";

    /// <summary>Checks a stage's settings: both set, a format that parses, a destination of our scheme; throws naming the field.</summary>
    public static void Check(StageAccessLogSettings settings)
    {
        if (string.IsNullOrEmpty(settings.Format) || string.IsNullOrEmpty(settings.DestinationArn))
        {
            throw new GatewayArgumentException("accessLogSettings",
                "Access log settings need both a format and a destinationArn (set /accessLogSettings/format and /accessLogSettings/destinationArn, or remove /accessLogSettings).");
        }
        try
        {
            AccessLogFormat.Parse(settings.Format, "accessLogSettings.format");
        }
        catch (InvalidOperationException exception)
        {
            throw new GatewayArgumentException("accessLogSettings.format", exception.Message);
        }
        RelativePath(settings.DestinationArn);
    }

    /// <summary>The file a destination names, under <paramref name="dataDirectory"/>.</summary>
    public static string Resolve(string dataDirectory, string destinationArn)
    {
        var root = Path.GetFullPath(dataDirectory);
        return Path.GetFullPath(Path.Combine(root, RelativePath(destinationArn)));
    }

    private static string RelativePath(string destinationArn)
    {
        var path = destinationArn.StartsWith(Scheme, StringComparison.Ordinal) ? destinationArn[Scheme.Length..] : null;
        if (path is null || path.Length is 0 or > 512 || Path.IsPathRooted(path) || path.Split('/', '\\').Any(p => p is "" or "." or ".."))
        {
            throw new GatewayArgumentException("accessLogSettings.destinationArn",
                $"destinationArn '{destinationArn}' is not supported: Sluice writes access logs to files, named file:<relative path under the gateway's data directory>, e.g. {Example}.");
        }
        return path;
    }
}
