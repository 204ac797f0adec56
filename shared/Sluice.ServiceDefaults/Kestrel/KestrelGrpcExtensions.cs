using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Sluice.ServiceDefaults;

public static class KestrelGrpcExtensions
{
    /// <summary>
    /// Adds a gRPC listener. Without a certificate it speaks cleartext HTTP/2 only (h2c with
    /// prior knowledge, as gRPC clients expect: with HTTP/1.1 also enabled and no TLS to
    /// negotiate, Kestrel would answer HTTP/1.1). With a certificate it speaks HTTP/2 over TLS
    /// (ALPN "h2").
    /// </summary>
    public static void ListenGrpc(this KestrelServerOptions kestrel, IPAddress address, int port, X509Certificate2? certificate = null, Action<ListenOptions>? configure = null)
    {
        kestrel.Listen(address, port, listen =>
        {
            listen.Protocols = HttpProtocols.Http2;
            if (certificate is not null)
            {
                listen.UseHttps(certificate);
            }
            configure?.Invoke(listen);
        });
    }
}
