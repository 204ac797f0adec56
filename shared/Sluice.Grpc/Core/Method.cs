using Google.Protobuf;

namespace Sluice.Grpc;

/// <summary>
/// Describes one RPC: its shape, its path (<c>/package.Service/Method</c>) and how its messages
/// are parsed. Instances are created once by generated code and shared by server and client.
/// </summary>
public sealed class Method<TRequest, TResponse>
    where TRequest : class, IMessage<TRequest>
    where TResponse : class, IMessage<TResponse>
{
    public Method(MethodType type, string serviceName, string name, MessageParser<TRequest> requestParser, MessageParser<TResponse> responseParser)
    {
        Type = type;
        ServiceName = serviceName;
        Name = name;
        FullName = "/" + serviceName + "/" + name;
        RequestParser = requestParser;
        ResponseParser = responseParser;
    }

    public MethodType Type { get; }

    /// <summary>Fully qualified service name, e.g. <c>sluice.query.v1.QueryService</c>.</summary>
    public string ServiceName { get; }

    public string Name { get; }

    /// <summary>The HTTP/2 path of the method: <c>/{ServiceName}/{Name}</c>.</summary>
    public string FullName { get; }

    public MessageParser<TRequest> RequestParser { get; }

    public MessageParser<TResponse> ResponseParser { get; }
}
