using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Sluice.Gateway.Pipeline;
using Sluice.Gateway.State;

namespace Sluice.Gateway.AccessLog;

/// <summary>
/// After each REST request that reached a deployed stage (the pipeline leaves its
/// <see cref="RequestContext"/> in the request's features), renders the stage's format and queues
/// the line: the stage's own settings (update-stage /accessLogSettings) first, then the configured
/// ones. Response bytes are counted as they are written, so streamed responses have a length too.
/// </summary>
internal sealed class AccessLogMiddleware(AccessLogQueue queue, GatewayState state, IOptions<GatewayOptions> options)
{
    /// <summary>Stage formats parsed once each; bounded, since formats only change by admin calls.</summary>
    private const int MaxStageFormats = 1024;

    private readonly ConcurrentDictionary<string, AccessLogFormat> _stageFormats = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _stageFiles = new(StringComparer.Ordinal);

    // Read once: the configured formats do not change while the host runs, and the check is on every request.
    private readonly bool _configured = options.Value.AccessLog.Enabled;

    private readonly AccessLogFormat? _default = string.IsNullOrEmpty(options.Value.AccessLog.Format)
        ? null
        : AccessLogFormat.Parse(options.Value.AccessLog.Format, "Sluice:Gateway:AccessLog:Format");

    private readonly Dictionary<string, AccessLogFormat?> _stages = options.Value.AccessLog.Stages.ToDictionary(
        s => s.Key, s => string.IsNullOrEmpty(s.Value) ? null : AccessLogFormat.Parse(s.Value, $"Sluice:Gateway:AccessLog:Stages:{s.Key}"), StringComparer.Ordinal);

    public async Task InvokeAsync(HttpContext http, RequestDelegate next)
    {
        if (http.Request.ContentType?.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase) == true
            || (!_configured && !state.Snapshot.HasStageAccessLogs))
        {
            // The admin service and health on the gRPC listener: not a stage's request.
            await next(http).ConfigureAwait(false);
            return;
        }
        var started = Stopwatch.GetTimestamp();
        var counter = new CountingStream(http.Response.Body);
        http.Response.Body = counter;
        try
        {
            await next(http).ConfigureAwait(false);
        }
        finally
        {
            if (http.Features.Get<RequestContext>() is { } context && FormatOf(context) is ({ } format, var file))
            {
                var length = counter.Written > 0 ? counter.Written : http.Response.ContentLength ?? 0;
                queue.TryAdd(new AccessLogLine(file,
                    format.Render(new AccessLogFacts(context.Variables, http.Response.StatusCode, length, Stopwatch.GetElapsedTime(started).TotalMilliseconds))));
            }
        }
    }

    private (AccessLogFormat? Format, string? File) FormatOf(RequestContext context)
    {
        if (context.Stage.Stage.AccessLog is { } own)
        {
            if (_stageFormats.Count > MaxStageFormats)
            {
                _stageFormats.Clear();
                _stageFiles.Clear();
            }
            // Checked when stored, so they parse and resolve here.
            return (_stageFormats.GetOrAdd(own.Format, static f => AccessLogFormat.Parse(f, "accessLogSettings.format")),
                _stageFiles.GetOrAdd(own.DestinationArn, static (arn, directory) => AccessLogDestination.Resolve(directory, arn), options.Value.DataDirectory));
        }
        return (_stages.TryGetValue(context.Stage.Api.Id + "/" + context.Stage.Stage.StageName, out var format) ? format : _default, null);
    }

    /// <summary>A write-through stream that counts the bytes written.</summary>
    private sealed class CountingStream(Stream inner) : Stream
    {
        public long Written { get; private set; }

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush() => inner.Flush();

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count)
        {
            inner.Write(buffer, offset, count);
            Written += count;
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
            Written += buffer.Length;
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }
}

/// <summary>
/// Registers access logging: always, since a stage may be given its own settings at any time
/// (requests skip it while no stage has any and no format is configured). Configured formats are
/// checked here.
/// </summary>
internal static class AccessLogHosting
{
    public static void AddGatewayAccessLog(this IHostApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(GatewayOptions.SectionName).Get<GatewayOptions>() ?? new GatewayOptions();
        var settings = options.AccessLog;
        if (settings.QueueCapacity is < 1 or > 1_000_000)
        {
            throw new InvalidOperationException("Sluice:Gateway:AccessLog:QueueCapacity must be from 1 to 1000000.");
        }
        // Formats are checked here, so that a bad one stops the host before it starts.
        if (!string.IsNullOrEmpty(settings.Format))
        {
            AccessLogFormat.Parse(settings.Format, "Sluice:Gateway:AccessLog:Format");
        }
        foreach (var (stage, format) in settings.Stages.Where(s => !string.IsNullOrEmpty(s.Value)))
        {
            AccessLogFormat.Parse(format, $"Sluice:Gateway:AccessLog:Stages:{stage}");
        }
        if (settings.Enabled && AccessLogWriter.FilePath(options) is null && !settings.Logger)
        {
            throw new InvalidOperationException("Sluice:Gateway:AccessLog has a format but nowhere to write: set File (under the data folder) or Logger.");
        }
        builder.Services.AddSingleton(provider => new AccessLogQueue(settings.QueueCapacity, provider.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>()));
        builder.Services.AddSingleton<AccessLogMiddleware>();
        builder.Services.AddHostedService<AccessLogWriter>();
        builder.Services.AddSingleton<IStartupFilter, AccessLogStartupFilter>();
    }

    private sealed class AccessLogStartupFilter(AccessLogMiddleware middleware) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((http, nextMiddleware) => middleware.InvokeAsync(http, nextMiddleware));
            next(app);
        };
    }
}
