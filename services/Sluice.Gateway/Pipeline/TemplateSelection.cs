using Microsoft.Extensions.Primitives;
using Sluice.Vtl;

namespace Sluice.Gateway.Pipeline;

/// <summary>Chooses a mapping template by MIME type only (parameters such as charset are ignored), as API Gateway does.</summary>
internal static class TemplateSelection
{
    public const string DefaultType = "application/json";

    /// <summary>The MIME part of a Content-Type, lower case; application/json when absent.</summary>
    public static string MimeOf(string? contentType)
    {
        if (string.IsNullOrWhiteSpace(contentType))
        {
            return DefaultType;
        }
        var semicolon = contentType.IndexOf(';');
        return (semicolon < 0 ? contentType : contentType[..semicolon]).Trim().ToLowerInvariant();
    }

    /// <summary>The request template for <paramref name="contentType"/>, or null when none matches.</summary>
    public static VtlTemplate? ForRequest(IReadOnlyDictionary<string, VtlTemplate> templates, string? contentType) =>
        templates.TryGetValue(MimeOf(contentType), out var template) ? template : null;

    /// <summary>
    /// The response template for the Accept header: the first listed type that has a template;
    /// else application/json; else the first template.
    /// </summary>
    public static (string Mime, VtlTemplate Template) ForResponse(IReadOnlyDictionary<string, VtlTemplate> templates, StringValues accept)
    {
        foreach (var header in accept)
        {
            foreach (var part in (header ?? "").Split(','))
            {
                var mime = MimeOf(part);
                if (templates.TryGetValue(mime, out var template))
                {
                    return (mime, template);
                }
            }
        }
        if (templates.TryGetValue(DefaultType, out var json))
        {
            return (DefaultType, json);
        }
        var first = templates.First();
        return (first.Key, first.Value);
    }
}
