using System.Text;
using System.Text.Json;
using Sluice.DataQuality.Filtering;
using Sluice.DataQuality.Metrics;
using Sluice.DataQuality.Values;

namespace Sluice.DataQuality.Data;

/// <summary>
/// Reads one JSON object per call with <see cref="Utf8JsonReader"/> over the caller's bytes and hands each
/// needed value to its column's accumulators. Property names are matched as UTF-8 bytes against a list of
/// known keys, guessing by position first (NDJSON rows usually repeat the key order), so a row costs no
/// allocation; values of columns no rule needs are skipped without being decoded.
/// </summary>
internal sealed class RowProcessor : IRowSink
{
    private readonly Dictionary<string, ColumnSlot> _slotsByName;
    private readonly ColumnSlot[] _slots;
    private readonly IRowEndHook[] _hooks;
    private readonly RowFilters? _filters;
    private readonly List<KnownKey> _keys = [];
    private int[] _expectedKeyAt = new int[16];
    private byte[] _scratch = new byte[1024];

    /// <param name="slots">The plan's columns, by name.</param>
    /// <param name="hooks">Called at the end of each row.</param>
    /// <param name="filters">Where clauses evaluated on each row in this same pass, feeding their own plans; null: none.</param>
    public RowProcessor(IReadOnlyDictionary<string, ColumnSlot> slots, IReadOnlyList<IRowEndHook> hooks, RowFilters? filters = null)
    {
        _slotsByName = new Dictionary<string, ColumnSlot>(slots, StringComparer.Ordinal);
        _slots = [.. slots.Values];
        _hooks = [.. hooks];
        _filters = filters;
        Array.Fill(_expectedKeyAt, -1);
    }

    public long RowCount { get; private set; }

    /// <summary>Distinct top-level keys seen in any row.</summary>
    public int ColumnCount => _keys.Count;

    /// <summary>The top-level keys seen, in the order first seen.</summary>
    public IReadOnlyList<string> ColumnNames => _keys.Select(key => Encoding.UTF8.GetString(key.Utf8)).ToList();

    /// <summary>Adds a parallel worker's row count and the keys it saw (its accumulators are merged by the plan).</summary>
    public void MergeFrom(RowProcessor worker)
    {
        RowCount += worker.RowCount;
        foreach (var key in worker._keys)
        {
            if (!_keys.Exists(known => known.Utf8.AsSpan().SequenceEqual(key.Utf8)))
            {
                _slotsByName.TryGetValue(Encoding.UTF8.GetString(key.Utf8), out var slot);
                _keys.Add(new KnownKey(key.Utf8, slot, null));
            }
        }
    }

    /// <summary>Processes one line holding one JSON object.</summary>
    /// <exception cref="JsonException">The line is not valid JSON.</exception>
    /// <exception cref="InvalidDataException">The line is JSON but not an object.</exception>
    public void ProcessRow(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json, isFinalBlock: true, state: default);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            throw new InvalidDataException("Each line of an NDJSON dataset must be a JSON object.");
        }
        var row = ++RowCount;
        var position = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var key = _keys[ResolveKey(ref reader, position++)];
            var slot = key.Slot;
            reader.Read();
            var feedsSlot = slot is not null && slot.SeenInRow != row;
            if (!feedsSlot && key.Captures is null)
            {
                if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
                {
                    reader.Skip();
                }
                continue;
            }

            var isNull = false;
            CellKind kind;
            scoped ReadOnlySpan<byte> value;
            switch (reader.TokenType)
            {
                case JsonTokenType.Null:
                    isNull = true;
                    kind = default;
                    value = default;
                    break;
                case JsonTokenType.String:
                    kind = CellKind.String;
                    value = reader.ValueIsEscaped ? Unescape(ref reader) : reader.ValueSpan;
                    break;
                case JsonTokenType.StartObject:
                case JsonTokenType.StartArray:
                    var start = (int)reader.TokenStartIndex;
                    reader.Skip();
                    kind = CellKind.Complex;
                    value = json[start..(int)reader.BytesConsumed];
                    break;
                default:
                    kind = ColumnCell.KindOf(reader.TokenType);
                    value = reader.ValueSpan;
                    break;
            }
            if (feedsSlot)
            {
                slot!.SeenInRow = row;
                slot.Present = true;
                if (isNull)
                {
                    slot.AcceptNull();
                }
                else
                {
                    var cell = new ColumnCell(kind, value);
                    slot.Accept(ref cell);
                }
            }
            if (key.Captures is { } captures)
            {
                _filters!.Capture(captures, row, json, isNull, kind, value);
            }
        }
        // Reading past the object's end makes the reader reject trailing content on the line.
        if (reader.Read())
        {
            throw new JsonException("Unexpected content after the JSON object.");
        }

        foreach (var slot in _slots)
        {
            if (slot.SeenInRow != row)
            {
                slot.AcceptNull();
            }
        }
        foreach (var hook in _hooks)
        {
            hook.EndRow();
        }
        _filters?.EndRow(row, json);
    }

    private ReadOnlySpan<byte> Unescape(ref Utf8JsonReader reader)
    {
        if (_scratch.Length < reader.ValueSpan.Length)
        {
            _scratch = new byte[Math.Max(reader.ValueSpan.Length, _scratch.Length * 2)];
        }
        return _scratch.AsSpan(0, reader.CopyString(_scratch));
    }

    private int ResolveKey(ref Utf8JsonReader reader, int position)
    {
        if (position < _expectedKeyAt.Length)
        {
            var guess = _expectedKeyAt[position];
            if (guess >= 0 && NameEquals(ref reader, _keys[guess].Utf8))
            {
                return guess;
            }
        }
        else
        {
            var grown = new int[Math.Max(position + 1, _expectedKeyAt.Length * 2)];
            Array.Fill(grown, -1);
            _expectedKeyAt.CopyTo(grown, 0);
            _expectedKeyAt = grown;
        }

        var index = -1;
        for (var i = 0; i < _keys.Count; i++)
        {
            if (NameEquals(ref reader, _keys[i].Utf8))
            {
                index = i;
                break;
            }
        }
        if (index < 0)
        {
            var name = reader.GetString()!;
            _slotsByName.TryGetValue(name, out var slot);
            _keys.Add(new KnownKey(Encoding.UTF8.GetBytes(name), slot, _filters?.CapturesFor(name)));
            index = _keys.Count - 1;
        }
        _expectedKeyAt[position] = index;
        return index;
    }

    private static bool NameEquals(ref Utf8JsonReader reader, byte[] utf8) =>
        reader.ValueIsEscaped ? reader.ValueTextEquals(utf8) : reader.ValueSpan.SequenceEqual(utf8);

    /// <param name="Utf8">The key as written.</param>
    /// <param name="Slot">The plan's column of that name; null when no rule reads it.</param>
    /// <param name="Captures">What the row filters keep of the key's value (see <see cref="RowFilters.CapturesFor"/>); null: nothing.</param>
    private readonly record struct KnownKey(byte[] Utf8, ColumnSlot? Slot, int[]? Captures);
}
