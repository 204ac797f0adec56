namespace Sluice.Grpc;

/// <summary>
/// A call that ended with a non-OK status. Thrown by clients when a call fails, and thrown by
/// service handlers to end a call with a chosen status: the code and message reach the caller,
/// as do <see cref="Trailers"/> (including binary <c>grpc-status-details-bin</c>, which carries a
/// serialized <c>google.rpc.Status</c> with rich error details).
/// </summary>
public class RpcException : Exception
{
    /// <summary>The trailer key that carries a serialized <c>google.rpc.Status</c>.</summary>
    public const string StatusDetailsTrailer = "grpc-status-details-bin";

    public RpcException(Status status)
        : this(status, new Metadata())
    {
    }

    public RpcException(Status status, Metadata trailers)
        : this(status, trailers, null)
    {
    }

    public RpcException(StatusCode code, string detail)
        : this(new Status(code, detail))
    {
    }

    public RpcException(Status status, Metadata trailers, Exception? innerException)
        : base($"Status(StatusCode=\"{status.StatusCode}\", Detail=\"{status.Detail}\")", innerException)
    {
        Status = status;
        Trailers = trailers;
    }

    public Status Status { get; }

    public StatusCode StatusCode => Status.StatusCode;

    /// <summary>Trailing metadata sent with the status (empty when there is none).</summary>
    public Metadata Trailers { get; }

    /// <summary>The serialized <c>google.rpc.Status</c> from the trailers, if the status carries details.</summary>
    public byte[]? StatusDetails => Trailers.GetValueBytes(StatusDetailsTrailer);
}
