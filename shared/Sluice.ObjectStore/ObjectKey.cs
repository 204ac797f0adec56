using System.Globalization;
using System.Text;

namespace Sluice.ObjectStore;

/// <summary>
/// The rules every object key follows in every store, so that a key can never escape its bucket or
/// directory and a dataset written to one store can be copied to another unchanged.
/// </summary>
/// <remarks>
/// A valid key is non-empty, at most <see cref="MaxUtf8Bytes"/> bytes of UTF-8, made of
/// '/'-separated non-empty segments none of which is '.' or '..', does not start with '/', and
/// contains no backslash, no control character (NUL included) and no unpaired surrogate.
/// Stores may add rules of their own (the local directory store limits a segment to 255 bytes and
/// reserves one top-level name).
/// </remarks>
public static class ObjectKey
{
    /// <summary>The longest key in bytes of UTF-8: 1024, S3's limit.</summary>
    public const int MaxUtf8Bytes = 1024;

    private const int MaxKeyCharsInMessage = 120;

    /// <summary>Throws <see cref="InvalidObjectKeyException"/> naming the problem when <paramref name="key"/> is not a valid key.</summary>
    public static void Validate(string key)
    {
        if (Check(key, isPrefix: false, MaxUtf8Bytes) is { } error)
        {
            throw error;
        }
    }

    /// <summary>Tells whether <paramref name="key"/> is a valid key.</summary>
    public static bool IsValid(string key) => Check(key, isPrefix: false, MaxUtf8Bytes) is null;

    /// <summary>
    /// Checks a key, or a listing prefix when <paramref name="isPrefix"/> is set. A prefix may be
    /// empty, may end with '/', and its last (partial) segment may be '.' or '..' because it is only
    /// matched as a string (".." is the start of "..data"); every complete segment follows the key rules.
    /// </summary>
    /// <returns>The exception to throw, or null when the key is valid.</returns>
    internal static InvalidObjectKeyException? Check(string key, bool isPrefix, int maxUtf8Bytes)
    {
        ArgumentNullException.ThrowIfNull(key);
        string kind = isPrefix ? "Object key prefix" : "Object key";

        if (key.Length == 0)
        {
            return isPrefix ? null : Invalid(key, kind, ObjectKeyProblem.Empty, "it is empty");
        }

        for (int i = 0; i < key.Length; i++)
        {
            char c = key[i];
            if (char.IsControl(c))
            {
                return Invalid(key, kind, ObjectKeyProblem.ControlCharacter,
                    $"it contains the control character U+{(int)c:X4} at position {i}");
            }

            if (c == '\\')
            {
                return Invalid(key, kind, ObjectKeyProblem.Backslash,
                    $"it contains a backslash at position {i}; use '/' to separate segments");
            }

            if (char.IsHighSurrogate(c) && i + 1 < key.Length && char.IsLowSurrogate(key[i + 1]))
            {
                i++;
                continue;
            }

            if (char.IsSurrogate(c))
            {
                return Invalid(key, kind, ObjectKeyProblem.InvalidUnicode,
                    $"it contains an unpaired UTF-16 surrogate at position {i}, which has no UTF-8 form");
            }
        }

        if (key[0] == '/')
        {
            return Invalid(key, kind, ObjectKeyProblem.Absolute, "it starts with '/'; keys are relative to their store");
        }

        int segmentStart = 0;
        while (segmentStart <= key.Length)
        {
            int separator = key.IndexOf('/', segmentStart);
            bool isLast = separator < 0;
            int segmentEnd = isLast ? key.Length : separator;
            ReadOnlySpan<char> segment = key.AsSpan(segmentStart, segmentEnd - segmentStart);

            // The final segment of a prefix is a partial name matched as a string: it may be empty
            // ("raw/") or look like a dot segment ("raw/.." matches "raw/..hidden").
            bool isPartialSegment = isPrefix && isLast;
            if (!isPartialSegment)
            {
                if (segment.IsEmpty)
                {
                    return Invalid(key, kind, ObjectKeyProblem.EmptySegment,
                        isLast ? "it ends with '/'" : "it has an empty segment ('//')");
                }

                if (segment is "." or "..")
                {
                    return Invalid(key, kind, ObjectKeyProblem.DotSegment,
                        $"it has a '{segment}' segment, which could resolve outside the store");
                }
            }

            if (isLast)
            {
                break;
            }

            segmentStart = separator + 1;
        }

        int byteCount = Encoding.UTF8.GetByteCount(key);
        if (byteCount > maxUtf8Bytes)
        {
            return Invalid(key, kind, ObjectKeyProblem.TooLong,
                $"it is {byteCount} bytes of UTF-8, over the limit of {maxUtf8Bytes}");
        }

        return null;
    }

    internal static InvalidObjectKeyException Invalid(string key, string kind, ObjectKeyProblem problem, string reason) =>
        new(key, problem, $"{kind} '{Printable(key)}' is invalid: {reason}.");

    /// <summary>Renders a key for an error message: control characters escaped, very long keys shortened.</summary>
    private static string Printable(string key)
    {
        int shownChars = Math.Min(key.Length, MaxKeyCharsInMessage);
        var builder = new StringBuilder(shownChars + 16);
        for (int i = 0; i < shownChars; i++)
        {
            char c = key[i];
            bool isPairedSurrogate = char.IsSurrogatePair(key, i) || (i > 0 && char.IsSurrogatePair(key, i - 1));
            if (char.IsControl(c) || (char.IsSurrogate(c) && !isPairedSurrogate))
            {
                builder.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:X4}");
            }
            else
            {
                builder.Append(c);
            }
        }

        if (key.Length > MaxKeyCharsInMessage)
        {
            builder.Append(CultureInfo.InvariantCulture, $"... ({key.Length} characters)");
        }

        return builder.ToString();
    }
}
