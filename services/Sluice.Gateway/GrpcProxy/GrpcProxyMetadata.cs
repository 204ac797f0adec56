using System.Globalization;
using System.Text;
using Grpc.Core;
using Microsoft.AspNetCore.Http;

namespace Sluice.Gateway.GrpcProxy;

/// <summary>
/// What crosses the proxy besides messages: the caller's metadata to the backend (minus the key,
/// hop-by-hop headers and what gRPC itself sets), the backend's headers and trailers back, the
/// deadline (grpc-timeout) and the status.
/// </summary>
internal static class GrpcProxyMetadata
{
    public const string ApiKeyHeader = "x-api-key";

    /// <summary>Headers never forwarded either way: HTTP/2 and hop-by-hop ones, and those the gRPC runtimes write themselves.</summary>
    private static readonly HashSet<string> NotForwarded = new(StringComparer.OrdinalIgnoreCase)
    {
        "host", "connection", "keep-alive", "proxy-connection", "proxy-authenticate", "proxy-authorization", "te", "trailer",
        "transfer-encoding", "upgrade", "content-type", "content-length", "content-encoding", "accept-encoding", "user-agent",
        "date", "server", "traceparent", "tracestate", "baggage", ApiKeyHeader,
    };

    /// <summary>The caller's metadata for the backend. Binary ("-bin") values are base64 in HTTP/2; a bad one throws a FormatException.</summary>
    public static Metadata ToBackend(IHeaderDictionary headers)
    {
        var metadata = new Metadata();
        foreach (var (name, values) in headers)
        {
            if (!Forwarded(name))
            {
                continue;
            }
            foreach (var value in values)
            {
                if (value is null)
                {
                    continue;
                }
                if (name.EndsWith(Metadata.BinaryHeaderSuffix, StringComparison.OrdinalIgnoreCase))
                {
                    metadata.Add(name.ToLowerInvariant(), FromBase64(name, value));
                }
                else
                {
                    metadata.Add(name.ToLowerInvariant(), value);
                }
            }
        }
        return metadata;
    }

    /// <summary>Copies the backend's headers or trailers to the caller's response.</summary>
    public static void ToCaller(Metadata metadata, Action<string, string> add)
    {
        foreach (var entry in metadata)
        {
            if (Forwarded(entry.Key))
            {
                add(entry.Key, entry.IsBinary ? Convert.ToBase64String(entry.ValueBytes) : entry.Value);
            }
        }
    }

    /// <summary>
    /// The deadline the caller set with grpc-timeout ("100m", "5S": at most 8 digits and a unit
    /// H, M, S, m, u or n), or <see cref="DateTime.MaxValue"/> (none) when it set none.
    /// </summary>
    public static DateTime Deadline(string? timeout, DateTime now)
    {
        if (string.IsNullOrEmpty(timeout) || timeout.Length is < 2 or > 9
            || !long.TryParse(timeout.AsSpan(0, timeout.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var amount))
        {
            return DateTime.MaxValue;
        }
        var ticks = timeout[^1] switch
        {
            'H' => amount * TimeSpan.TicksPerHour,
            'M' => amount * TimeSpan.TicksPerMinute,
            'S' => amount * TimeSpan.TicksPerSecond,
            'm' => amount * TimeSpan.TicksPerMillisecond,
            'u' => amount * TimeSpan.TicksPerMicrosecond,
            'n' => amount / 100,
            _ => -1,
        };
        return ticks < 0 ? DateTime.MaxValue : now.AddTicks(Math.Min(ticks, (DateTime.MaxValue - now).Ticks - 1));
    }

    /// <summary>A status message as grpc-message carries it: UTF-8, percent-encoded outside printable ASCII.</summary>
    public static string EncodeMessage(string message)
    {
        var builder = new StringBuilder(message.Length);
        foreach (var b in Encoding.UTF8.GetBytes(message))
        {
            if (b is >= 0x20 and <= 0x7E && b != (byte)'%')
            {
                builder.Append((char)b);
            }
            else
            {
                builder.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
        }
        return builder.ToString();
    }

    private static bool Forwarded(string name) =>
        !name.StartsWith(':') && !NotForwarded.Contains(name)
        && (!name.StartsWith("grpc-", StringComparison.OrdinalIgnoreCase) || name.Equals("grpc-status-details-bin", StringComparison.OrdinalIgnoreCase));

    private static byte[] FromBase64(string name, string value)
    {
        // gRPC senders may leave the padding out.
        var padded = value.Trim();
        padded += new string('=', (4 - (padded.Length % 4)) % 4);
        try
        {
            return Convert.FromBase64String(padded);
        }
        catch (FormatException)
        {
            throw new FormatException($"The binary metadata '{name}' is not base64.");
        }
    }
}
