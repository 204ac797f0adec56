using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Sluice.Aws;

/// <summary>
/// Verifies AWS Signature Version 4 on a request with a body in memory, following the SigV4
/// specification ("Create a canonical request", "Create a string to sign", "Calculate the
/// signature"). Only the Authorization-header form is accepted, as AWS SDKs and the CLI send it.
/// A refusal says what failed as a <see cref="SigV4Failure"/> with AWS's message; each endpoint
/// turns it into its own protocol's error type and status.
/// </summary>
/// <param name="secretsByAccessKey">The secret access key of each accepted access key id.</param>
/// <param name="service">The signing name the credential scope must carry, e.g. "redshift-data" or "apigateway".</param>
/// <param name="region">The region the scope must carry; null accepts any.</param>
/// <param name="time">The clock the 15-minute skew is checked against.</param>
public sealed class SigV4Verifier(IReadOnlyDictionary<string, string> secretsByAccessKey, string service, string? region, TimeProvider time)
{
    private const string Algorithm = "AWS4-HMAC-SHA256";
    private static readonly TimeSpan AllowedSkew = TimeSpan.FromMinutes(15);

    /// <summary>The verified access key id, or why the request is refused.</summary>
    /// <param name="request">The request, its headers, path and query as received.</param>
    /// <param name="body">The whole body (the signature covers its SHA-256).</param>
    public SigV4Result Verify(HttpRequest request, byte[] body)
    {
        var authorization = request.Headers.Authorization.ToString();
        if (string.IsNullOrEmpty(authorization))
        {
            return SigV4Result.Refused(SigV4Failure.MissingToken, "Missing Authentication Token");
        }
        if (!authorization.StartsWith(Algorithm + " ", StringComparison.Ordinal))
        {
            return SigV4Result.Refused(SigV4Failure.IncompleteSignature, $"Authorization header must use {Algorithm}.");
        }
        var parts = authorization[(Algorithm.Length + 1)..]
            .Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Split('=', 2))
            .Where(p => p.Length == 2)
            .ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);
        if (!parts.TryGetValue("Credential", out var credential) || !parts.TryGetValue("SignedHeaders", out var signedHeaders) || !parts.TryGetValue("Signature", out var signature))
        {
            return SigV4Result.Refused(SigV4Failure.IncompleteSignature, "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature'.");
        }
        var scope = credential.Split('/');
        if (scope.Length != 5 || scope[4] != "aws4_request")
        {
            return SigV4Result.Refused(SigV4Failure.IncompleteSignature, "Credential must have the form <key>/<date>/<region>/<service>/aws4_request.");
        }
        var (accessKey, date, scopeRegion, scopeService) = (scope[0], scope[1], scope[2], scope[3]);
        if (!secretsByAccessKey.TryGetValue(accessKey, out var secret))
        {
            return SigV4Result.Refused(SigV4Failure.UnknownAccessKey, "The security token included in the request is invalid.");
        }
        if (scopeService != service || (region is not null && scopeRegion != region))
        {
            return SigV4Result.Refused(SigV4Failure.WrongScope, $"Credential should be scoped to a valid region and to service '{service}'.");
        }
        var signed = signedHeaders.Split(';');
        var amzDate = request.Headers["x-amz-date"].ToString();
        if (!signed.Contains("host") || !signed.Contains("x-amz-date") || amzDate.Length == 0)
        {
            return SigV4Result.Refused(SigV4Failure.IncompleteSignature, "The signature must cover the host and x-amz-date headers.");
        }
        if (!DateTimeOffset.TryParseExact(amzDate, "yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var signedAt) || !amzDate.StartsWith(date, StringComparison.Ordinal))
        {
            return SigV4Result.Refused(SigV4Failure.IncompleteSignature, "X-Amz-Date must be an ISO 8601 basic date-time matching the credential scope's date.");
        }
        var now = time.GetUtcNow();
        if ((now - signedAt).Duration() > AllowedSkew)
        {
            return SigV4Result.Refused(SigV4Failure.Expired,
                $"Signature expired: {amzDate} is now earlier than {(now - AllowedSkew):yyyyMMdd'T'HHmmss'Z'} ({now:yyyyMMdd'T'HHmmss'Z'} - 15 min.)");
        }

        var canonicalRequest = new StringBuilder()
            .Append(request.Method).Append('\n')
            .Append(CanonicalUri(request.Path.Value)).Append('\n')
            .Append(CanonicalQuery(request.QueryString.Value)).Append('\n');
        foreach (var name in signed)
        {
            var values = request.Headers[name].Select(v => CollapseSpaces(v ?? ""));
            canonicalRequest.Append(name).Append(':').Append(string.Join(",", values)).Append('\n');
        }
        canonicalRequest.Append('\n').Append(signedHeaders).Append('\n').Append(Hex(SHA256.HashData(body)));

        var stringToSign = $"{Algorithm}\n{amzDate}\n{date}/{scopeRegion}/{scopeService}/aws4_request\n{Hex(SHA256.HashData(Encoding.UTF8.GetBytes(canonicalRequest.ToString())))}";
        var key = Hmac(Encoding.UTF8.GetBytes("AWS4" + secret), date);
        key = Hmac(key, scopeRegion);
        key = Hmac(key, scopeService);
        key = Hmac(key, "aws4_request");
        var expected = Hex(Hmac(key, stringToSign));
        if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(signature)))
        {
            return SigV4Result.Refused(SigV4Failure.SignatureMismatch,
                "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.");
        }
        return SigV4Result.Accepted(accessKey);
    }

    private static string CanonicalUri(string? path)
    {
        if (string.IsNullOrEmpty(path))
        {
            return "/";
        }
        // Each segment URI-encoded once (non-S3 services encode the already-encoded path again,
        // but Kestrel hands us the decoded path, so one encoding restores the wire form).
        return string.Join('/', path.Split('/').Select(segment => Uri.EscapeDataString(Uri.EscapeDataString(segment))));
    }

    private static string CanonicalQuery(string? query)
    {
        if (string.IsNullOrEmpty(query) || query == "?")
        {
            return "";
        }
        var pairs = query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Split('=', 2))
            .Select(p => (Key: Uri.EscapeDataString(Uri.UnescapeDataString(p[0])), Value: p.Length > 1 ? Uri.EscapeDataString(Uri.UnescapeDataString(p[1])) : ""))
            .OrderBy(p => p.Key, StringComparer.Ordinal).ThenBy(p => p.Value, StringComparer.Ordinal);
        return string.Join('&', pairs.Select(p => p.Key + "=" + p.Value));
    }

    private static string CollapseSpaces(string value) => string.Join(' ', value.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries));

    private static byte[] Hmac(byte[] key, string data) => HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(data));

    private static string Hex(byte[] bytes) => Convert.ToHexStringLower(bytes);
}

/// <summary>Why a request's signature was refused.</summary>
public enum SigV4Failure
{
    /// <summary>No signature was accepted (the request passed).</summary>
    None,

    /// <summary>No Authorization header (AWS: MissingAuthenticationTokenException).</summary>
    MissingToken,

    /// <summary>The header or its parts are malformed (AWS: IncompleteSignatureException).</summary>
    IncompleteSignature,

    /// <summary>The access key id is not one of the accepted ones (AWS: UnrecognizedClientException).</summary>
    UnknownAccessKey,

    /// <summary>The credential scope names another service or region (AWS: InvalidSignatureException).</summary>
    WrongScope,

    /// <summary>X-Amz-Date is more than 15 minutes from now (AWS: InvalidSignatureException).</summary>
    Expired,

    /// <summary>The signature does not match the request (AWS: InvalidSignatureException).</summary>
    SignatureMismatch,
}

/// <summary>The outcome of a signature check: the verified access key id, or the failure and its message.</summary>
/// <param name="AccessKeyId">The verified access key id; null when refused.</param>
/// <param name="Failure">Why it was refused; <see cref="SigV4Failure.None"/> when accepted.</param>
/// <param name="Message">AWS's message for the failure; null when accepted.</param>
public readonly record struct SigV4Result(string? AccessKeyId, SigV4Failure Failure, string? Message)
{
    /// <summary>True when the signature was verified.</summary>
    public bool IsAccepted => AccessKeyId is not null;

    /// <summary>The name AWS's JSON protocols give the failure (x-amzn-ErrorType), e.g. "InvalidSignatureException".</summary>
    public string? AwsErrorType => Failure switch
    {
        SigV4Failure.None => null,
        SigV4Failure.MissingToken => "MissingAuthenticationTokenException",
        SigV4Failure.IncompleteSignature => "IncompleteSignatureException",
        SigV4Failure.UnknownAccessKey => "UnrecognizedClientException",
        _ => "InvalidSignatureException",
    };

    internal static SigV4Result Accepted(string accessKeyId) => new(accessKeyId, SigV4Failure.None, null);

    internal static SigV4Result Refused(SigV4Failure failure, string message) => new(null, failure, message);
}
