using System.Security.Cryptography;
using Amazon.Runtime;
using Amazon.Runtime.Internal.Auth;

namespace Sluice.Query.Engines.Redshift;

/// <summary>
/// Signs a Data API request with AWSSDK.Core's Signature Version 4 code: header preparation,
/// canonical request, signing key and Authorization value all come from the SDK's
/// <see cref="AWS4Signer"/>. Only the SDK's request-level entry point (SignRequest) is bypassed,
/// because it needs a generated service client's configuration, which does not exist for
/// redshift-data here; its building blocks are protected, hence the derived class.
/// </summary>
internal sealed class DataApiRequestSigner : AWS4Signer
{
    private const string SecurityTokenHeader = "X-Amz-Security-Token";

    /// <summary>
    /// Adds Host, X-Amz-Date (and X-Amz-Security-Token for temporary credentials) to
    /// <paramref name="headers"/> and returns the Authorization header value covering them and
    /// <paramref name="body"/>. Send exactly these headers with the request.
    /// </summary>
    public static string Sign(IDictionary<string, string> headers, Uri endpoint, ReadOnlySpan<byte> body, ImmutableCredentials credentials,
        string region, string service, DateTime signedAtUtc)
    {
        InitializeHeaders(headers, endpoint, signedAtUtc);
        if (credentials.UseToken)
        {
            headers[SecurityTokenHeader] = credentials.Token;
        }
        var sortedHeaders = SortAndPruneHeaders(headers);
        var bodyHash = Convert.ToHexStringLower(SHA256.HashData(body));
        var canonicalRequest = CanonicalizeRequest(endpoint, endpoint.AbsolutePath, "POST", sortedHeaders, "", bodyHash);
        var result = ComputeSignature(credentials, region, signedAtUtc, service, CanonicalizeHeaderNames(sortedHeaders), canonicalRequest);
        return result.ForAuthorizationHeader;
    }
}
