using System.Text;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Sluice.Gateway.AccessLog;

/// <summary>
/// Writes queued access log lines off the request path: configured lines to Sluice:Gateway:AccessLog's
/// file and/or logger category, a stage's own lines to its destination file. Files are flushed
/// whenever the queue runs empty; at shutdown what is queued is written first.
/// </summary>
internal sealed class AccessLogWriter(AccessLogQueue queue, IOptions<GatewayOptions> options, ILoggerFactory loggers) : BackgroundService
{
    /// <summary>Files written at once; beyond, all are closed and reopened as lines come.</summary>
    private const int MaxOpenFiles = 64;

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
        // The configured file (key "") and the stages' own files, opened on first use.
        var files = new Dictionary<string, StreamWriter>(StringComparer.Ordinal);
        var configured = settings.Enabled ? FilePath(options.Value) : null;
        try
        {
            var reader = queue.Reader;
            // Not stoppingToken: the queue is completed at stop, and what it holds is still written.
            while (await reader.WaitToReadAsync(CancellationToken.None).ConfigureAwait(false))
            {
                while (reader.TryRead(out var line))
                {
                    if (line.File is null && settings.Logger)
                    {
                        GatewayLog.AccessLogLine(_lines, line.Text);
                    }
                    if ((line.File ?? configured) is { } path && Open(files, path) is { } file)
                    {
                        await WriteQuietlyAsync(file, line.Text).ConfigureAwait(false);
                    }
                }
                foreach (var file in files.Values)
                {
                    await WriteQuietlyAsync(file, null).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            foreach (var file in files.Values)
            {
                await file.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>The open writer of <paramref name="path"/>; null (logged) when it cannot be opened. At most <see cref="MaxOpenFiles"/> stay open.</summary>
    private StreamWriter? Open(Dictionary<string, StreamWriter> files, string path)
    {
        if (files.TryGetValue(path, out var file))
        {
            return file;
        }
        if (files.Count >= MaxOpenFiles)
        {
            foreach (var open in files.Values)
            {
                open.Dispose();
            }
            files.Clear();
        }
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            file = new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read, 64 * 1024, useAsync: true), new UTF8Encoding(false));
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            GatewayLog.AccessLogWriteFailed(_logger, exception);
            return null;
        }
        files[path] = file;
        return file;
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
