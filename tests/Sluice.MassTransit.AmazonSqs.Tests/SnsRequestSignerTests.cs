using System.Text;
using Amazon.Runtime;
using Sluice.Transports.AmazonSqs.Transport;

namespace Sluice.Transports.AmazonSqs.Tests;

/// <summary>
/// SNS requests are signed with AWSSDK.Core's SigV4 code. fauxqs checks no signature, so what a
/// signed request carries is checked here: the scope names SNS and the region, temporary
/// credentials add their session token and sign it, and the signature covers the body.
/// </summary>
public sealed class SnsRequestSignerTests
{
    private static readonly Uri Endpoint = new("https://sns.eu-west-1.amazonaws.com/");
    private static readonly DateTime SignedAt = new(2026, 12, 2, 7, 0, 0, DateTimeKind.Utc);

    [Fact]
    public void Sign_TemporaryCredentials_AddsAndSignsTheSessionToken()
    {
        var headers = new Dictionary<string, string> { ["Content-Type"] = "application/x-www-form-urlencoded; charset=utf-8" };
        var credentials = new ImmutableCredentials("ASIAEXAMPLE", "secret", "session-token-1");

        var authorization = SnsRequestSigner.Sign(headers, Endpoint, Encoding.UTF8.GetBytes("Action=CreateTopic&Name=a"), credentials, "eu-west-1", SignedAt);

        Assert.Equal("session-token-1", headers["X-Amz-Security-Token"]);
        Assert.Equal("20261202T070000Z", headers["X-Amz-Date"]);
        Assert.StartsWith("AWS4-HMAC-SHA256 Credential=ASIAEXAMPLE/20261202/eu-west-1/sns/aws4_request, SignedHeaders=", authorization, StringComparison.Ordinal);
        Assert.Contains("x-amz-security-token", authorization, StringComparison.Ordinal);
        Assert.Matches("Signature=[0-9a-f]{64}$", authorization);
    }

    [Fact]
    public void Sign_LongTermCredentials_NoSessionToken()
    {
        var headers = new Dictionary<string, string>();

        var authorization = SnsRequestSigner.Sign(headers, Endpoint, "Action=Publish"u8, new ImmutableCredentials("AKIAEXAMPLE", "secret", null), "eu-west-1", SignedAt);

        Assert.False(headers.ContainsKey("X-Amz-Security-Token"));
        Assert.DoesNotContain("x-amz-security-token", authorization, StringComparison.Ordinal);
    }

    [Fact]
    public void Sign_DifferentBodies_DifferentSignatures()
    {
        var credentials = new ImmutableCredentials("AKIAEXAMPLE", "secret", null);
        var first = SnsRequestSigner.Sign(new Dictionary<string, string>(), Endpoint, "Action=Publish&Message=a"u8, credentials, "eu-west-1", SignedAt);
        var again = SnsRequestSigner.Sign(new Dictionary<string, string>(), Endpoint, "Action=Publish&Message=a"u8, credentials, "eu-west-1", SignedAt);
        var other = SnsRequestSigner.Sign(new Dictionary<string, string>(), Endpoint, "Action=Publish&Message=b"u8, credentials, "eu-west-1", SignedAt);

        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
    }
}
