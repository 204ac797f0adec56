namespace Sluice.Transports.AmazonSqs;

/// <summary>
/// Addresses of this transport: amazonsqs://host/[scope/]name for a queue and the same with
/// ?type=topic for a topic. Short forms "queue:name" and "topic:name" resolve against the host.
/// </summary>
internal readonly record struct SqsEndpointAddress(Uri HostAddress, string Name, bool IsTopic)
{
    public const string Scheme = "amazonsqs";

    public static SqsEndpointAddress Parse(Uri hostAddress, Uri address)
    {
        switch (address.Scheme.ToLowerInvariant())
        {
            case "queue":
                return new SqsEndpointAddress(hostAddress, StripQuery(address.AbsolutePath), false);
            case "topic":
                return new SqsEndpointAddress(hostAddress, StripQuery(address.AbsolutePath), true);
            case Scheme:
                var segments = address.AbsolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries);
                if (segments.Length == 0)
                {
                    throw new ArgumentException($"The address '{address}' names no queue or topic.", nameof(address));
                }
                var isTopic = address.Query.Contains("type=topic", StringComparison.OrdinalIgnoreCase);
                return new SqsEndpointAddress(new Uri($"{Scheme}://{address.Authority}/"), Uri.UnescapeDataString(segments[^1]), isTopic);
            default:
                throw new ArgumentException($"The address '{address}' is not an SQS address (amazonsqs://, queue: or topic:).", nameof(address));
        }
    }

    private static string StripQuery(string path)
    {
        var question = path.IndexOf('?', StringComparison.Ordinal);
        return question < 0 ? path : path[..question];
    }

    public Uri ToUri()
    {
        var baseText = HostAddress.ToString().TrimEnd('/');
        return new Uri($"{baseText}/{Uri.EscapeDataString(Name)}{(IsTopic ? "?type=topic" : "")}");
    }
}
