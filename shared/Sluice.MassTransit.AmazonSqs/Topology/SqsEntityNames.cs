using System.Text;

namespace Sluice.Transports.AmazonSqs;

/// <summary>
/// Queue and topic names as SQS and SNS accept them: letters, digits, '-' and '_', at most 80
/// characters for a queue (including ".fifo") and 256 for a topic.
/// </summary>
internal static class SqsEntityNames
{
    public const string FifoSuffix = ".fifo";
    public const int MaxQueueNameLength = 80;
    public const int MaxTopicNameLength = 256;

    public static bool IsFifo(string name) => name.EndsWith(FifoSuffix, StringComparison.Ordinal);

    public static bool IsValidName(string name) => name.Length > 0 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    public static bool IsValidQueueName(string name)
    {
        var stem = IsFifo(name) ? name[..^FifoSuffix.Length] : name;
        return name.Length <= MaxQueueNameLength && IsValidName(stem);
    }

    /// <summary>The queue faulted messages are moved to, and the redrive target: "name_error" (".fifo" kept last).</summary>
    public static string ErrorQueue(string queue) => WithSuffix(queue, "_error");

    /// <summary>The queue skipped messages (no consumer for them) are moved to: "name_skipped".</summary>
    public static string DeadLetterQueue(string queue) => WithSuffix(queue, "_skipped");

    public static string WithScope(string? scope, string name) => string.IsNullOrEmpty(scope) ? name : $"{scope}_{name}";

    private static string WithSuffix(string queue, string suffix) =>
        IsFifo(queue) ? queue[..^FifoSuffix.Length] + suffix + FifoSuffix : queue + suffix;

    /// <summary>Turns any text (a message type's name) into a valid SNS topic name.</summary>
    public static string Sanitize(string text, int maxLength)
    {
        var builder = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            builder.Append(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_');
        }
        return builder.Length <= maxLength ? builder.ToString() : builder.ToString(0, maxLength);
    }
}

/// <summary>
/// Topic names for message types: the full type name with '.' as '_' (MassTransit routes by the
/// full name, so two types with one short name never share a topic); generic arguments follow
/// their type, joined with "__".
/// </summary>
internal sealed class SqsMessageNameFormatter : IMessageNameFormatter
{
    public string GetMessageName(Type type) => SqsEntityNames.Sanitize(Format(type), SqsEntityNames.MaxTopicNameLength);

    private static string Format(Type type)
    {
        if (!type.IsGenericType)
        {
            return (type.FullName ?? type.Name).Replace('+', '_');
        }
        var definition = type.GetGenericTypeDefinition().FullName ?? type.Name;
        var tick = definition.IndexOf('`', StringComparison.Ordinal);
        var stem = tick < 0 ? definition : definition[..tick];
        return stem + "__" + string.Join("__", type.GetGenericArguments().Select(Format));
    }
}
