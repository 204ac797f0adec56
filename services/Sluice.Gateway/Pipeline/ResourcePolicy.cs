using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Sluice.Gateway.Pipeline;

/// <summary>The private listener's resource policy: source CIDR allow/deny and the x-apigw-api-id header.</summary>
internal sealed class ResourcePolicy(IOptions<GatewayOptions> options)
{
    private readonly IPNetwork[] _allow = [.. options.Value.Private.AllowCidrs.Select(c => IPNetwork.Parse(c))];
    private readonly IPNetwork[] _deny = [.. options.Value.Private.DenyCidrs.Select(c => IPNetwork.Parse(c))];
    private readonly bool _requireApiId = options.Value.Private.RequireApiIdHeader;

    /// <summary>Why the request is denied, or null when the policy allows it.</summary>
    public string? Deny(HttpContext http, string apiId)
    {
        var source = http.Connection.RemoteIpAddress;
        if (source is null)
        {
            return "no source address";
        }
        if (source.IsIPv4MappedToIPv6)
        {
            source = source.MapToIPv4();
        }
        if (_deny.Any(n => n.Contains(source)))
        {
            return "source address denied";
        }
        if (_allow.Length > 0 && !_allow.Any(n => n.Contains(source)))
        {
            return "source address not allowed";
        }
        if (_requireApiId && !string.Equals(http.Request.Headers["x-apigw-api-id"].ToString(), apiId, StringComparison.Ordinal))
        {
            return "x-apigw-api-id does not name this API";
        }
        return null;
    }
}
