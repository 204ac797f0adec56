namespace Sluice.Grpc.Protocol;

/// <summary>Header names and values of gRPC over HTTP/2 (gRPC's PROTOCOL-HTTP2.md).</summary>
internal static class GrpcProtocol
{
    public const string ContentType = "application/grpc";
    public const string StatusHeader = "grpc-status";
    public const string MessageHeader = "grpc-message";
    public const string TimeoutHeader = "grpc-timeout";
    public const string EncodingHeader = "grpc-encoding";
    public const string AcceptEncodingHeader = "grpc-accept-encoding";
    public const string IdentityEncoding = "identity";
    public const string GzipEncoding = "gzip";

    /// <summary>Encodings this runtime can read and write, as advertised in grpc-accept-encoding.</summary>
    public const string SupportedEncodings = "identity,gzip";

    public const int DefaultMaxMessageSize = 4 * 1024 * 1024;

    /// <summary>
    /// "application/grpc" optionally followed by "+proto" (or another subtype) or parameters;
    /// anything else is not a gRPC request (answered with HTTP 415).
    /// </summary>
    public static bool IsGrpcContentType(string? contentType)
    {
        if (contentType is null || !contentType.StartsWith(ContentType, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }
        if (contentType.Length == ContentType.Length)
        {
            return true;
        }
        var next = contentType[ContentType.Length];
        return next is '+' or ';';
    }

    /// <summary>Whether a header is part of the protocol rather than custom metadata.</summary>
    public static bool IsReservedHeader(string key) =>
        key.Length == 0 || key[0] == ':' ||
        key.Equals("content-type", StringComparison.OrdinalIgnoreCase) ||
        key.Equals("te", StringComparison.OrdinalIgnoreCase) ||
        key.Equals("content-length", StringComparison.OrdinalIgnoreCase) ||
        key.Equals("host", StringComparison.OrdinalIgnoreCase) ||
        key.Equals(StatusHeader, StringComparison.OrdinalIgnoreCase) ||
        key.Equals(MessageHeader, StringComparison.OrdinalIgnoreCase) ||
        key.Equals(TimeoutHeader, StringComparison.OrdinalIgnoreCase) ||
        key.Equals(EncodingHeader, StringComparison.OrdinalIgnoreCase) ||
        key.Equals(AcceptEncodingHeader, StringComparison.OrdinalIgnoreCase);

    /// <summary>Whether an encoding name list (grpc-accept-encoding) includes gzip.</summary>
    public static bool AcceptsGzip(string? acceptEncoding)
    {
        if (string.IsNullOrEmpty(acceptEncoding))
        {
            return false;
        }
        foreach (var range in acceptEncoding.AsSpan().Split(','))
        {
            if (acceptEncoding.AsSpan(range).Trim().Equals(GzipEncoding, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }
        return false;
    }
}
