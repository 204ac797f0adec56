namespace Sluice.Grpc;

/// <summary>Per-call settings of a client call.</summary>
/// <param name="Headers">Custom metadata sent with the request.</param>
/// <param name="Deadline">When the call must end (UTC or local); sent as grpc-timeout and enforced locally. Null for none.</param>
/// <param name="CancellationToken">Cancels the call: the server sees the cancellation (RST_STREAM) and the call ends CANCELLED.</param>
/// <param name="Compression">Compress request messages with this encoding ("gzip"); null uses the channel's default.</param>
public readonly record struct CallOptions(
    Metadata? Headers = null,
    DateTime? Deadline = null,
    CancellationToken CancellationToken = default,
    string? Compression = null);
