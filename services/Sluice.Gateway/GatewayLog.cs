using Microsoft.Extensions.Logging;

namespace Sluice.Gateway;

/// <summary>The gateway's log lines (event ids 9100-9199). Nothing per request except failures.</summary>
internal static partial class GatewayLog
{
    [LoggerMessage(EventId = 9100, Level = LogLevel.Information, Message = "Gateway REST listener on {Address}")]
    public static partial void RestListening(ILogger logger, string address);

    [LoggerMessage(EventId = 9101, Level = LogLevel.Warning, Message = "Writing usage counts failed; they are kept and retried")]
    public static partial void UsageFlushFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 9102, Level = LogLevel.Error, Message = "Mapping template {Template} failed for {Method} {ResourcePath} ({RequestId}): {Reason}")]
    public static partial void TemplateFailed(ILogger logger, string template, string method, string resourcePath, string requestId, string reason);

    [LoggerMessage(EventId = 9103, Level = LogLevel.Warning, Message = "Integration of {Method} {ResourcePath} failed ({RequestId}): {Reason}")]
    public static partial void IntegrationFailed(ILogger logger, string method, string resourcePath, string requestId, string reason);

    [LoggerMessage(EventId = 9104, Level = LogLevel.Information, Message = "API {ApiId} deployed to stage {Stage} from {File}")]
    public static partial void ApiDeployedAtStart(ILogger logger, string apiId, string stage, string file);

    [LoggerMessage(EventId = 9106, Level = LogLevel.Information, Message = "Gateway gRPC proxy listener on {Address}")]
    public static partial void GrpcProxyListening(ILogger logger, string address);

    [LoggerMessage(EventId = 9107, Level = LogLevel.Information, Message = "{Line}")]
    public static partial void AccessLogLine(ILogger logger, string line);

    [LoggerMessage(EventId = 9108, Level = LogLevel.Warning, Message = "Writing the access log file failed; those lines are lost")]
    public static partial void AccessLogWriteFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 9105, Level = LogLevel.Error, Message = "Deployed stage {ApiId}/{Stage} no longer reads and is not served")]
    public static partial void StageUnreadable(ILogger logger, string apiId, string stage, Exception exception);

    [LoggerMessage(EventId = 9120, Level = LogLevel.Information, Message = "API Gateway management API on {Address}")]
    public static partial void ManagementListening(ILogger logger, string address);

    [LoggerMessage(EventId = 9121, Level = LogLevel.Error, Message = "Management API {Method} {Path} failed")]
    public static partial void ManagementFailed(ILogger logger, string method, string path, Exception exception);

    [LoggerMessage(EventId = 9109, Level = LogLevel.Warning, Message = "Reloading the gateway's state from its store failed; retried at the next interval")]
    public static partial void StateRefreshFailed(ILogger logger, Exception exception);
}
