using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace Sluice.ServiceDefaults;

/// <summary>The service defaults' log events (ids 100-199).</summary>
internal static partial class ServiceDefaultsLog
{
    [LoggerMessage(EventId = 100, Level = LogLevel.Error, Message = "Unhandled exception in gRPC method {Method} (reference {Reference}).")]
    public static partial void UnhandledException(ILogger logger, string method, string reference, Exception exception);

    [LoggerMessage(EventId = 101, Level = LogLevel.Warning, Message = "gRPC method {Method} failed: {Dependency} is unavailable.")]
    public static partial void DependencyUnavailable(ILogger logger, string method, string dependency, Exception exception);

    [LoggerMessage(EventId = 102, Level = LogLevel.Debug, Message = "gRPC method {Method} ended with status {StatusCode}: {Detail}")]
    public static partial void CallFailed(ILogger logger, string method, StatusCode statusCode, string detail);

    [LoggerMessage(EventId = 103, Level = LogLevel.Debug,
        Message = "{Path} started on a reused Kestrel HTTP/2 stream left marked scheduled; cleared the mark so the response is not lost (dotnet/aspnetcore#53736).")]
    public static partial void RepairedStreamReuse(ILogger logger, string path);

    [LoggerMessage(EventId = 104, Level = LogLevel.Information, Message = "Sluice {Service} listening on {Addresses}")]
    public static partial void Listening(ILogger logger, string service, string addresses);
}
