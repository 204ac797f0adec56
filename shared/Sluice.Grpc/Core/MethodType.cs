namespace Sluice.Grpc;

/// <summary>The four call shapes of gRPC.</summary>
public enum MethodType
{
    Unary,
    ClientStreaming,
    ServerStreaming,
    DuplexStreaming,
}
