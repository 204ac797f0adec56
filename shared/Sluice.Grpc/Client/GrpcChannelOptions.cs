using System.Net.Security;

namespace Sluice.Grpc;

/// <summary>Settings of a <see cref="GrpcChannel"/>.</summary>
public sealed class GrpcChannelOptions
{
    /// <summary>Largest response message accepted, in bytes; null for no limit. Defaults to 4 MB.</summary>
    public int? MaxReceiveMessageSize { get; set; } = Protocol.GrpcProtocol.DefaultMaxMessageSize;

    /// <summary>Largest request message sent, in bytes; null for no limit (the server enforces its own). Defaults to null.</summary>
    public int? MaxSendMessageSize { get; set; }

    /// <summary>Compress request messages with this encoding ("gzip") unless a call says otherwise. Defaults to null.</summary>
    public string? RequestCompression { get; set; }

    /// <summary>
    /// The HTTP handler to send requests with. Defaults to a <see cref="SocketsHttpHandler"/>
    /// that opens more HTTP/2 connections when a connection's concurrent streams run out.
    /// </summary>
    public HttpMessageHandler? HttpHandler { get; set; }

    /// <summary>Whether disposing the channel disposes <see cref="HttpHandler"/>. Defaults to true.</summary>
    public bool DisposeHttpHandler { get; set; } = true;

    /// <summary>Validates the server's TLS certificate (https addresses); null uses the system trust store.</summary>
    public RemoteCertificateValidationCallback? ServerCertificateValidation { get; set; }
}
