using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Sluice.ServiceDefaults;

/// <summary>
/// Where one service listens, bound from "Sluice:{Service}" (e.g. Sluice:Query:GrpcPort=5102).
/// Defaults bind loopback only: exposing a service beyond the machine is a deliberate setting.
/// </summary>
public sealed class SluiceListenerOptions
{
    /// <summary>The address to bind. Defaults to 127.0.0.1.</summary>
    public string BindAddress { get; set; } = "127.0.0.1";

    /// <summary>The gRPC (HTTP/2 cleartext) port; 0 picks a free port.</summary>
    public int GrpcPort { get; set; }

    /// <summary>
    /// A PKCS#12 (.pfx) file: when set, the gRPC listener speaks HTTP/2 over TLS instead of
    /// cleartext. Defaults to none.
    /// </summary>
    public string? CertificatePath { get; set; }

    /// <summary>The password of <see cref="CertificatePath"/>, if it has one.</summary>
    public string? CertificatePassword { get; set; }

    /// <summary>Loads the configured certificate, or null for a cleartext listener.</summary>
    public X509Certificate2? LoadCertificate()
    {
        if (string.IsNullOrEmpty(CertificatePath))
        {
            return null;
        }
        if (!File.Exists(CertificatePath))
        {
            throw new InvalidOperationException($"Sluice: CertificatePath '{CertificatePath}' does not exist.");
        }
        try
        {
            return X509CertificateLoader.LoadPkcs12FromFile(CertificatePath, CertificatePassword);
        }
        catch (CryptographicException ex)
        {
            throw new InvalidOperationException($"Sluice: the certificate '{CertificatePath}' could not be loaded: {ex.Message}", ex);
        }
    }

    public IPAddress ParseBindAddress() =>
        IPAddress.TryParse(BindAddress, out var address)
            ? address
            : throw new InvalidOperationException($"Sluice: BindAddress '{BindAddress}' is not an IP address.");
}
