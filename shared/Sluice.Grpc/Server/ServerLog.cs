using Microsoft.Extensions.Logging;

namespace Sluice.Grpc.Server;

/// <summary>The runtime's log events, with stable ids.</summary>
internal static partial class ServerLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Error, Message = "Unhandled exception in gRPC method {Method}.")]
    public static partial void UnhandledException(ILogger logger, string method, Exception exception);

    [LoggerMessage(EventId = 2, Level = LogLevel.Debug, Message = "Deadline exceeded for gRPC method {Method}.")]
    public static partial void DeadlineExceeded(ILogger logger, string method);

    [LoggerMessage(EventId = 3, Level = LogLevel.Debug, Message = "gRPC method {Method} ended with status {StatusCode}: {Detail}")]
    public static partial void CallFailed(ILogger logger, string method, StatusCode statusCode, string detail);

    [LoggerMessage(EventId = 4, Level = LogLevel.Debug, Message = "Unimplemented gRPC path {Path}.")]
    public static partial void Unimplemented(ILogger logger, string path);

    [LoggerMessage(EventId = 5, Level = LogLevel.Information,
        Message = "gRPC method {Method} started on a reused Kestrel HTTP/2 stream left marked scheduled; cleared the mark so the response is not lost (dotnet/aspnetcore#53736).")]
    public static partial void RepairedStreamReuse(ILogger logger, string method);
}
