using System.Collections;

namespace Sluice.Grpc;

/// <summary>
/// Custom metadata of a call (request headers, response headers or trailers). Keys are
/// case-insensitive and stored lower-case. Keys ending in <c>-bin</c> carry binary values,
/// sent base64-encoded on the wire; all other values are printable ASCII strings.
/// </summary>
public sealed class Metadata : IEnumerable<Metadata.Entry>
{
    /// <summary>Suffix that marks a binary-valued key.</summary>
    public const string BinarySuffix = "-bin";

    private readonly List<Entry> _entries = [];

    public int Count => _entries.Count;

    public Entry this[int index] => _entries[index];

    public void Add(string key, string value) => _entries.Add(new Entry(key, value));

    public void Add(string key, byte[] value) => _entries.Add(new Entry(key, value));

    public void Add(Entry entry) => _entries.Add(entry);

    /// <summary>The last entry with the key, or null.</summary>
    public Entry? Get(string key)
    {
        for (var i = _entries.Count - 1; i >= 0; i--)
        {
            if (string.Equals(_entries[i].Key, key, StringComparison.OrdinalIgnoreCase))
            {
                return _entries[i];
            }
        }
        return null;
    }

    /// <summary>The string value of the last entry with the key, or null.</summary>
    public string? GetValue(string key) => Get(key)?.Value;

    /// <summary>The binary value of the last entry with the (<c>-bin</c>) key, or null.</summary>
    public byte[]? GetValueBytes(string key) => Get(key)?.ValueBytes;

    public IEnumerable<Entry> GetAll(string key) =>
        _entries.Where(e => string.Equals(e.Key, key, StringComparison.OrdinalIgnoreCase));

    public bool Remove(string key) => _entries.RemoveAll(e => string.Equals(e.Key, key, StringComparison.OrdinalIgnoreCase)) > 0;

    public IEnumerator<Entry> GetEnumerator() => _entries.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>One key and its value.</summary>
    public sealed class Entry
    {
        private readonly string? _value;
        private readonly byte[]? _valueBytes;

        public Entry(string key, string value)
        {
            Key = NormalizeKey(key);
            if (IsBinaryKey(Key))
            {
                throw new ArgumentException($"Metadata key '{Key}' ends in '-bin' and needs a binary value.", nameof(value));
            }
            ArgumentNullException.ThrowIfNull(value);
            foreach (var c in value)
            {
                if (c < 0x20 || c > 0x7E)
                {
                    throw new ArgumentException($"Metadata value for '{Key}' must be printable ASCII; use a '-bin' key for other data.", nameof(value));
                }
            }
            _value = value;
        }

        public Entry(string key, byte[] value)
        {
            Key = NormalizeKey(key);
            if (!IsBinaryKey(Key))
            {
                throw new ArgumentException($"Binary metadata key '{Key}' must end in '-bin'.", nameof(key));
            }
            _valueBytes = value ?? throw new ArgumentNullException(nameof(value));
        }

        public string Key { get; }

        public bool IsBinary => _valueBytes is not null;

        /// <summary>The string value; for a binary entry, its base64 text.</summary>
        public string Value => _value ?? Convert.ToBase64String(_valueBytes!);

        /// <summary>The binary value; for a string entry, its ASCII bytes.</summary>
        public byte[] ValueBytes => _valueBytes ?? System.Text.Encoding.ASCII.GetBytes(_value!);

        public override string ToString() => $"{Key}: {Value}";

        internal static bool IsBinaryKey(string key) => key.EndsWith(BinarySuffix, StringComparison.Ordinal);

        private static string NormalizeKey(string key)
        {
            ArgumentException.ThrowIfNullOrEmpty(key);
            // gRPC keys: lower-case letters, digits, '-', '_' and '.' (PROTOCOL-HTTP2, "Custom-Metadata").
            var lower = key.ToLowerInvariant();
            foreach (var c in lower)
            {
                if (!(c is >= 'a' and <= 'z' || c is >= '0' and <= '9' || c is '-' or '_' or '.'))
                {
                    throw new ArgumentException($"Metadata key '{key}' contains '{c}'; allowed are a-z, 0-9, '-', '_' and '.'.", nameof(key));
                }
            }
            if (lower.StartsWith("grpc-", StringComparison.Ordinal) && lower != RpcException.StatusDetailsTrailer)
            {
                throw new ArgumentException($"Metadata key '{key}' uses the reserved 'grpc-' prefix.", nameof(key));
            }
            return lower;
        }
    }
}
