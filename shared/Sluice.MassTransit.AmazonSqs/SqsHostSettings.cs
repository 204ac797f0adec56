using Amazon;
using Amazon.Runtime;
using Amazon.Runtime.Credentials;
using System.Text.RegularExpressions;

namespace Sluice.Transports.AmazonSqs;

/// <summary>Where the transport's SQS and SNS calls go and whose credentials sign them.</summary>
public sealed partial class SqsHostSettings
{
    /// <summary>AWS region system name, e.g. "eu-west-1". Defaults to "us-east-1".</summary>
    public string Region { get; set; } = "us-east-1";

    /// <summary>
    /// Endpoint override for both SQS and SNS (an emulator such as fauxqs, or a VPC endpoint), e.g.
    /// http://127.0.0.1:4566. Null uses the region's public endpoints.
    /// </summary>
    public Uri? ServiceUrl { get; set; }

    /// <summary>
    /// Credentials for every call. Null resolves them from the AWS credential chain (environment,
    /// profile, container and instance roles); temporary credentials carry their session token.
    /// </summary>
    public AWSCredentials? Credentials { get; set; }

    /// <summary>
    /// A prefix for every queue and topic this bus creates, so several environments can share an
    /// account. Defaults to none.
    /// </summary>
    public string? Scope { get; set; }

    /// <summary>How many times SQS hands a message out before its redrive policy moves it to the error queue. Defaults to 10.</summary>
    public int MaxReceiveCount { get; set; } = 10;

    /// <summary>Timeout of one SQS or SNS HTTP call. Defaults to 30 seconds (long polls take up to 20).</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    internal Uri HostAddress => new($"amazonsqs://{(ServiceUrl is { } url ? url.Authority : Region)}/{Scope ?? ""}");

    internal AWSCredentials ResolveCredentials() => Credentials ?? DefaultAWSCredentialsIdentityResolver.GetCredentials();

    internal RegionEndpoint RegionEndpoint => RegionEndpoint.GetBySystemName(Region);

    /// <summary>The longest scope: it prefixes names SQS limits to 80 characters, and leaves room for the endpoint's own name.</summary>
    public const int MaxScopeLength = 40;

    /// <summary>
    /// Checks the settings before anything connects; throws <see cref="ArgumentException"/> naming
    /// the setting and what it accepts. Called by Host(settings); hosts may call it earlier.
    /// </summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Region))
        {
            throw new ArgumentException("Region is required: an AWS region name such as us-east-1.");
        }
        // RegionEndpoint.GetBySystemName accepts any text and invents an endpoint for it.
        if (!RegionName().IsMatch(Region))
        {
            throw new ArgumentException($"Region '{Region}' is not an AWS region name such as us-east-1 or eu-west-2.");
        }
        if (ServiceUrl is { } url && (!url.IsAbsoluteUri || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps)))
        {
            throw new ArgumentException($"ServiceUrl '{url}' must be an absolute http or https URL, e.g. http://127.0.0.1:4566.");
        }
        if (MaxReceiveCount is < 1 or > 1000)
        {
            throw new ArgumentException($"MaxReceiveCount must be 1-1000 (SQS's redrive limit), not {MaxReceiveCount}.");
        }
        if (RequestTimeout <= TimeSpan.Zero || RequestTimeout > TimeSpan.FromMinutes(15))
        {
            throw new ArgumentException($"RequestTimeout must be positive and at most 15 minutes, not {RequestTimeout}.");
        }
        if (Scope is { Length: > 0 } scope && (!SqsEntityNames.IsValidName(scope) || scope.Length > MaxScopeLength))
        {
            throw new ArgumentException($"Scope '{scope}' may hold only letters, digits, '-' and '_', at most {MaxScopeLength} characters.");
        }
    }

    [GeneratedRegex("^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$", RegexOptions.CultureInvariant)]
    private static partial Regex RegionName();
}
