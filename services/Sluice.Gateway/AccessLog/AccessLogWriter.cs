using System.Text;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Sluice.Gateway.AccessLog;

/// <summary>
/// Writes queued access log lines to the file and/or the logger category, off the request path.
/// The file is flushed whenever the queue runs empty; at shutdown what is queued is written first.
/// </summary>
internal sealed class AccessLogWriter(AccessLogQueue queue, IOptions<GatewayOptions> options, ILoggerFactory loggers) : BackgroundService
{
    private readonly ILogger _lines = loggers.CreateLogger(GatewayAccessLogOptions.Category);
    private readonly ILogger _logger = loggers.CreateLogger<AccessLogWriter>();

    /// <summary>The file lines are appended to, or null: a path under the data folder.</summary>
    public static string? FilePath(GatewayOptions options)
    {
        if (string.IsNullOrEmpty(options.AccessLog.File))
        {
            return null;
        }
        var root = Path.GetFullPath(options.DataDirectory);
        var path = Path.GetFullPath(Path.Combine(root, options.AccessLog.File));
        return path.StartsWith(root.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar, StringComparison.Ordinal)
            ? path
            : throw new InvalidOperationException($"Sluice:Gateway:AccessLog:File '{options.AccessLog.File}' must be a path under Sluice:Gateway:DataDirectory.");
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        queue.Complete();
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value.AccessLog;
        StreamWriter? file = null;
        if (FilePath(options.Value) is { } path)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            file = new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read, 64 * 1024, useAsync: true), new UTF8Encoding(false));
        }
        await using (file)
        {
            var reader = queue.Reader;
            // Not stoppingToken: the queue is completed at stop, and what it holds is still written.
            while (await reader.WaitToReadAsync(CancellationToken.None).ConfigureAwait(false))
            {
                while (reader.TryRead(out var line))
                {
                    if (settings.Logger)
                    {
                        GatewayLog.AccessLogLine(_lines, line);
                    }
                    if (file is not null)
                    {
                        await WriteQuietlyAsync(file, line).ConfigureAwait(false);
                    }
                }
                if (file is not null)
                {
                    await WriteQuietlyAsync(file, null).ConfigureAwait(false);
                }
            }
        }
    }

    private async Task WriteQuietlyAsync(StreamWriter file, string? line)
    {
        try
        {
            if (line is null)
            {
                await file.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            }
            else
            {
                await file.WriteLineAsync(line).ConfigureAwait(false);
            }
        }
        catch (IOException exception)
        {
            GatewayLog.AccessLogWriteFailed(_logger, exception);
        }
    }
}
