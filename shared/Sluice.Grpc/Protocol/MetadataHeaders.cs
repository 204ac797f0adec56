using System.Net.Http.Headers;
using Microsoft.AspNetCore.Http;

namespace Sluice.Grpc.Protocol;

/// <summary>Converts between HTTP header collections and <see cref="Metadata"/>.</summary>
internal static class MetadataHeaders
{
    public static Metadata FromHeaders(IHeaderDictionary headers)
    {
        var metadata = new Metadata();
        foreach (var header in headers)
        {
            if (GrpcProtocol.IsReservedHeader(header.Key))
            {
                continue;
            }
            foreach (var value in header.Value)
            {
                AddEntry(metadata, header.Key, value);
            }
        }
        return metadata;
    }

    public static Metadata FromHeaders(HttpHeaders headers)
    {
        var metadata = new Metadata();
        foreach (var header in headers.NonValidated)
        {
            if (GrpcProtocol.IsReservedHeader(header.Key))
            {
                continue;
            }
            foreach (var value in header.Value)
            {
                AddEntry(metadata, header.Key, value);
            }
        }
        return metadata;
    }

    /// <summary>Base64 without padding; receivers must accept both (PROTOCOL-HTTP2).</summary>
    public static string EncodeBinary(byte[] value) => Convert.ToBase64String(value).TrimEnd('=');

    public static byte[] DecodeBinary(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return [];
        }
        var text = value.Trim();
        var padding = (4 - (text.Length % 4)) % 4;
        if (padding > 0)
        {
            text += new string('=', padding);
        }
        return Convert.FromBase64String(text);
    }

    private static void AddEntry(Metadata metadata, string key, string? value)
    {
        if (value is null)
        {
            return;
        }
        try
        {
            var lower = key.ToLowerInvariant();
            if (lower.EndsWith(Metadata.BinarySuffix, StringComparison.Ordinal))
            {
                // Several binary values may arrive joined by commas in one header.
                foreach (var part in value.Split(','))
                {
                    metadata.Add(lower, DecodeBinary(part));
                }
            }
            else
            {
                metadata.Add(lower, value);
            }
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException)
        {
            // A header that is not valid gRPC metadata (e.g. non-ASCII from an HTTP proxy) is left out.
        }
    }
}
