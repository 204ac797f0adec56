using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Matching;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Sluice.ServiceDefaults;

/// <summary>
/// Lets several services share one host while each answers only on its own listener: a
/// listener tags its connections with a name, and endpoints that require a listener match only
/// requests that arrived on it. Matching by connection (not Host header) works with port 0 and
/// behind port mappings.
/// </summary>
public static class ListenerRouting
{
    private const string ListenerKey = "sluice.listener";

    /// <summary>Tags every connection accepted by this listener with <paramref name="name"/>.</summary>
    public static ListenOptions TagListener(this ListenOptions listen, string name)
    {
        listen.Use(next => connection =>
        {
            connection.Items[ListenerKey] = name;
            return next(connection);
        });
        return listen;
    }

    /// <summary>Restricts the endpoints to requests that arrived on the listener tagged <paramref name="name"/>.</summary>
    public static TBuilder RequireListener<TBuilder>(this TBuilder builder, string name)
        where TBuilder : IEndpointConventionBuilder
    {
        builder.Add(endpoint => endpoint.Metadata.Add(new ListenerMetadata(name)));
        return builder;
    }

    /// <summary>The name the listener a request arrived on was tagged with; null when it has none.</summary>
    public static string? GetListener(HttpContext http) =>
        http.Features.Get<IConnectionItemsFeature>()?.Items.TryGetValue(ListenerKey, out var name) == true ? name as string : null;
}

/// <summary>Endpoint metadata: the listener an endpoint belongs to.</summary>
public sealed record ListenerMetadata(string Name);

/// <summary>Drops candidate endpoints whose listener is not the one the request arrived on.</summary>
internal sealed class ListenerMatcherPolicy : MatcherPolicy, IEndpointSelectorPolicy
{
    public override int Order => 0;

    public bool AppliesToEndpoints(IReadOnlyList<Endpoint> endpoints) =>
        endpoints.Any(e => e.Metadata.GetMetadata<ListenerMetadata>() is not null);

    public Task ApplyAsync(HttpContext httpContext, CandidateSet candidates)
    {
        var listener = ListenerRouting.GetListener(httpContext);
        for (var i = 0; i < candidates.Count; i++)
        {
            var required = candidates[i].Endpoint.Metadata.GetMetadata<ListenerMetadata>();
            if (required is not null && required.Name != listener)
            {
                candidates.SetValidity(i, false);
            }
        }
        return Task.CompletedTask;
    }
}
