using System.Globalization;

namespace Sluice.Transports.AmazonSqs.Transport;

/// <summary>
/// Which headers travel as SQS message attributes. SQS allows at most ten attributes per message,
/// so the transport picks the ones a receiver or an operator needs before the body is read
/// (content type, ids, the hop deadline, fault reasons); every header also travels in the
/// MassTransit envelope, so nothing is lost by leaving an attribute out.
/// </summary>
internal static class SqsHeaders
{
    /// <summary>SQS's limit on message attributes per message.</summary>
    public const int MaxAttributes = 10;

    /// <summary>SQS counts names, types and values against the 256 KiB message size; long values stay in the envelope.</summary>
    public const int MaxAttributeValueLength = 1024;

    /// <summary>When a delayed message is due (Unix milliseconds), for delays longer than SQS's fifteen minutes.</summary>
    public const string DueAt = "Sluice-DueAt";

    private static readonly string[] Priority =
    [
        MessageHeaders.ContentType, MessageHeaders.MessageId, MessageHeaders.CorrelationId, DueAt,
        MessageHeaders.Reason, MessageHeaders.FaultExceptionType, MessageHeaders.FaultMessage, MessageHeaders.FaultInputAddress,
        MessageHeaders.ConversationId, MessageHeaders.RequestId, MessageHeaders.FaultTimestamp, MessageHeaders.FaultConsumerType,
    ];

    /// <summary>Picks at most <see cref="MaxAttributes"/> headers, by priority, then in the order given.</summary>
    public static Dictionary<string, MessageAttributeValue> ToAttributes(IEnumerable<KeyValuePair<string, string>> headers)
    {
        var candidates = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in headers)
        {
            if (value.Length is > 0 and <= MaxAttributeValueLength && IsValidName(key))
            {
                candidates[key] = value;
            }
        }
        var attributes = new Dictionary<string, MessageAttributeValue>(StringComparer.Ordinal);
        foreach (var key in Priority.Where(candidates.ContainsKey).Concat(candidates.Keys.Except(Priority, StringComparer.OrdinalIgnoreCase)))
        {
            if (attributes.Count == MaxAttributes)
            {
                break;
            }
            attributes[key] = new MessageAttributeValue { DataType = "String", StringValue = candidates[key] };
        }
        return attributes;
    }

    /// <summary>Header values as text; values that are not simple stay in the envelope only.</summary>
    public static IEnumerable<KeyValuePair<string, string>> AsText(IEnumerable<KeyValuePair<string, object>> headers)
    {
        foreach (var (key, value) in headers)
        {
            var text = value switch
            {
                string s => s,
                DateTime d => d.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture),
                DateTimeOffset d => d.ToString("O", CultureInfo.InvariantCulture),
                Uri u => u.ToString(),
                Guid g => g.ToString(),
                IFormattable f when value.GetType().IsPrimitive => f.ToString(null, CultureInfo.InvariantCulture),
                _ => null,
            };
            if (text is not null)
            {
                yield return new(key, text);
            }
        }
    }

    // SQS attribute names: letters, digits, '_', '-', '.'; not starting with "AWS." or "Amazon.".
    private static bool IsValidName(string name) =>
        name.Length is > 0 and <= 256
        && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.')
        && !name.StartsWith("AWS.", StringComparison.OrdinalIgnoreCase) && !name.StartsWith("Amazon.", StringComparison.OrdinalIgnoreCase)
        && !name.StartsWith('.') && !name.EndsWith('.');
}
