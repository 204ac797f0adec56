using System.Security.Cryptography;
using Amazon.Runtime;
using Amazon.Runtime.Internal.Auth;

namespace Sluice.Transports.AmazonSqs.Transport;

/// <summary>
/// Signs an SNS query-protocol POST with AWSSDK.Core's Signature Version 4 building blocks (header
/// preparation, canonical request, signing key). The SDK's request-level SignRequest needs a
/// generated service client's configuration, which does not exist here for SNS (no client
/// package), so this derived class reaches the protected pieces instead.
/// </summary>
internal sealed class SnsRequestSigner : AWS4Signer
{
    private const string SecurityTokenHeader = "X-Amz-Security-Token";

    /// <summary>
    /// Adds Host, X-Amz-Date and, for temporary credentials, X-Amz-Security-Token to
    /// <paramref name="headers"/>, and returns the Authorization value covering them and the body.
    /// </summary>
    public static string Sign(IDictionary<string, string> headers, Uri endpoint, ReadOnlySpan<byte> body, ImmutableCredentials credentials,
        string region, DateTime signedAtUtc)
    {
        InitializeHeaders(headers, endpoint, signedAtUtc);
        if (credentials.UseToken)
        {
            headers[SecurityTokenHeader] = credentials.Token;
        }
        var sorted = SortAndPruneHeaders(headers);
        var bodyHash = Convert.ToHexStringLower(SHA256.HashData(body));
        var canonicalRequest = CanonicalizeRequest(endpoint, endpoint.AbsolutePath, "POST", sorted, "", bodyHash);
        return ComputeSignature(credentials, region, signedAtUtc, "sns", CanonicalizeHeaderNames(sorted), canonicalRequest).ForAuthorizationHeader;
    }
}
