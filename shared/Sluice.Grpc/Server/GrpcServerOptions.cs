namespace Sluice.Grpc;

/// <summary>Server-wide settings of the gRPC runtime (bound from configuration section "Grpc" by hosts that wish).</summary>
public sealed class GrpcServerOptions
{
    /// <summary>Largest request message accepted, in bytes; null for no limit. Defaults to 4 MB.</summary>
    public int? MaxReceiveMessageSize { get; set; } = Protocol.GrpcProtocol.DefaultMaxMessageSize;

    /// <summary>Largest response message sent, in bytes; null for no limit. Defaults to 4 MB.</summary>
    public int? MaxSendMessageSize { get; set; } = Protocol.GrpcProtocol.DefaultMaxMessageSize;

    /// <summary>
    /// Include exception messages in the INTERNAL status sent for unhandled handler exceptions.
    /// Defaults to false: callers see a generic message and the exception is only logged.
    /// </summary>
    public bool EnableDetailedErrors { get; set; }

    /// <summary>Compress responses with this encoding ("gzip") when the caller accepts it. Defaults to null (no compression).</summary>
    public string? ResponseCompressionAlgorithm { get; set; }
}
