using System.Buffers;
using System.Buffers.Text;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Sluice.DataQuality.Evaluation;
using Sluice.DataQuality.Metrics;
using Sluice.DataQuality.Values;

namespace Sluice.DataQuality.Filtering;

/// <summary>
/// The where clauses one <see cref="Data.RowProcessor"/> evaluates in its pass. The processor hands over the values
/// of the keys the clauses and their rules need (<see cref="Capture"/>); at the end of each row every clause is
/// evaluated over them and, where TRUE, the row's values go to that clause's plan, as a second pass over the
/// selected rows would give them. Over the pass it also notes what kinds of value each referenced column held, so
/// that <see cref="WhyNotInProcess"/> can tell whether DuckDB would have typed them alike.
/// </summary>
internal sealed class RowFilters
{
    private const long LargestExactDouble = 1L << 53;

    private readonly string[] _references;
    private readonly ObservedKinds[] _observed;
    private readonly HashSet<string>[] _matchedKeys;
    private readonly ColumnValue[] _values;
    private readonly Target[] _targets;
    private readonly List<string> _slotCaptureNames = [];
    private Captured[] _captures;
    private byte[] _arena = new byte[256];
    private int _arenaLength;

    /// <param name="clauses">Each clause with the plan its rules were registered on (this processor's own).</param>
    public RowFilters(IReadOnlyList<(WhereClause Clause, EvaluationPlan Plan)> clauses)
    {
        var references = new List<string>();
        var targets = new List<Target>();
        foreach (var (clause, plan) in clauses)
        {
            var map = clause.Columns.Select(column =>
            {
                var index = references.FindIndex(known => WhereParser.AsciiEqualsIgnoreCase(known, column));
                if (index < 0)
                {
                    references.Add(column);
                    index = references.Count - 1;
                }
                return index;
            }).ToArray();
            targets.Add(new Target(clause, plan, map));
        }
        _references = [.. references];
        _observed = new ObservedKinds[_references.Length];
        _matchedKeys = [.. _references.Select(_ => new HashSet<string>(StringComparer.Ordinal))];
        _values = new ColumnValue[_references.Length];
        foreach (var target in targets)
        {
            target.Feeds = [.. target.Plan.Slots.Values.Select(slot => (slot, SlotCapture(slot.Name)))];
        }
        _targets = [.. targets];
        _captures = new Captured[_references.Length + _slotCaptureNames.Count];
    }

    private int SlotCapture(string name)
    {
        var index = _slotCaptureNames.IndexOf(name);
        if (index < 0)
        {
            _slotCaptureNames.Add(name);
            index = _slotCaptureNames.Count - 1;
        }
        return _references.Length + index;
    }

    /// <summary>
    /// The captures a top-level key of the data feeds (null: none): the clause columns it names (exactly or in
    /// another ASCII case, as DuckDB resolves names) and the plans' columns it is (exactly, as rules name them).
    /// </summary>
    public int[]? CapturesFor(string key)
    {
        var captures = new List<int>();
        for (var i = 0; i < _references.Length; i++)
        {
            if (WhereParser.AsciiEqualsIgnoreCase(_references[i], key))
            {
                captures.Add(i);
                _matchedKeys[i].Add(key);
            }
            else if (string.Equals(_references[i], key, StringComparison.OrdinalIgnoreCase))
            {
                // Equal in a non-ASCII case fold only: DuckDB's resolution of such names is not modelled.
                _observed[i] |= ObservedKinds.AmbiguousKey;
            }
        }
        var slot = _slotCaptureNames.IndexOf(key);
        if (slot >= 0)
        {
            captures.Add(_references.Length + slot);
        }
        return captures.Count == 0 ? null : [.. captures];
    }

    /// <summary>
    /// Keeps a value of the current row: where it lies in the row's JSON, or a copy when it does not lie there (an
    /// unescaped string, in a buffer the processor reuses); a null has no cell.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Capture(int[] captures, long row, ReadOnlySpan<byte> json, bool isNull, CellKind kind, ReadOnlySpan<byte> value)
    {
        var start = 0;
        var inArena = false;
        if (!isNull)
        {
            var offset = (long)Unsafe.ByteOffset(ref MemoryMarshal.GetReference(json), ref MemoryMarshal.GetReference(value));
            if (offset >= 0 && offset + value.Length <= json.Length)
            {
                start = (int)offset;
            }
            else
            {
                if (_arena.Length - _arenaLength < value.Length)
                {
                    Array.Resize(ref _arena, Math.Max(_arena.Length * 2, _arenaLength + value.Length));
                }
                value.CopyTo(_arena.AsSpan(_arenaLength));
                start = _arenaLength;
                inArena = true;
                _arenaLength += value.Length;
            }
        }
        foreach (var index in captures)
        {
            ref var captured = ref _captures[index];
            if (captured.Row == row)
            {
                // A key repeated in one row: the first value counts, as for the rules; DuckDB's choice is not modelled.
                if (index < _references.Length)
                {
                    _observed[index] |= ObservedKinds.AmbiguousKey;
                }
                continue;
            }
            captured = new Captured(row, isNull, kind, start, isNull ? 0 : value.Length, inArena);
        }
    }

    /// <summary>Evaluates every clause on the row just read (<paramref name="json"/>) and feeds the plans of those it selects.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void EndRow(long row, ReadOnlySpan<byte> json)
    {
        var arena = _arena.AsSpan(0, _arenaLength);
        for (var i = 0; i < _references.Length; i++)
        {
            _values[i] = Classify(_captures[i], row, json, arena, ref _observed[i]);
        }
        foreach (var target in _targets)
        {
            if (target.Run.UnsureReason is not null)
            {
                continue;
            }
            var result = Logic.Reported(target.Clause.Root.Test(new RowView(json, arena, _values, target.ColumnMap), target.Run), target.Run);
            if (result == Truth.True && target.Run.UnsureReason is null)
            {
                Feed(target, row, json, arena);
            }
        }
        _arenaLength = 0;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Feed(Target target, long row, ReadOnlySpan<byte> json, ReadOnlySpan<byte> arena)
    {
        foreach (var (slot, index) in target.Feeds)
        {
            var captured = _captures[index];
            if (captured.Row != row)
            {
                slot.AcceptNull();
                continue;
            }
            slot.Present = true;
            if (captured.IsNull)
            {
                slot.AcceptNull();
                continue;
            }
            var cell = new ColumnCell(captured.Kind, captured.Value(json, arena));
            slot.Accept(ref cell);
        }
        foreach (var hook in target.Hooks)
        {
            hook.EndRow();
        }
        target.RowCount++;
    }

    /// <summary>A value typed as DuckDB types it when its whole column holds that kind (checked after the pass).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static ColumnValue Classify(in Captured captured, long row, ReadOnlySpan<byte> json, ReadOnlySpan<byte> arena, ref ObservedKinds observed)
    {
        if (captured.Row != row || captured.IsNull)
        {
            return default;
        }
        var text = captured.Value(json, arena);
        switch (captured.Kind)
        {
            case CellKind.True or CellKind.False:
                observed |= ObservedKinds.Boolean;
                return new ColumnValue { Type = SqlType.Boolean, Integer = captured.Kind == CellKind.True ? 1 : 0 };
            case CellKind.Number when text.IndexOfAny((byte)'.', (byte)'e', (byte)'E') >= 0:
                observed |= ObservedKinds.Fraction;
                return ColumnCell.TryParseShortDecimal(text, out var number)
                    || (Utf8Parser.TryParse(text, out number, out var used) && used == text.Length && double.IsFinite(number))
                    ? new ColumnValue { Type = SqlType.Double, Double = number }
                    : new ColumnValue { Unsure = UnsureValue.BeyondDouble };
            case CellKind.Number:
                if (!Utf8Parser.TryParse(text, out long integer, out var consumed) || consumed != text.Length)
                {
                    observed |= ObservedKinds.Huge;
                    return new ColumnValue { Unsure = UnsureValue.BeyondBigInt };
                }
                observed |= integer is > LargestExactDouble or < -LargestExactDouble ? ObservedKinds.Integer | ObservedKinds.IntegerBeyondDouble : ObservedKinds.Integer;
                return new ColumnValue { Type = SqlType.BigInt, Integer = integer };
            case CellKind.String:
                if (IsoTemporal.TryDate(text, out var days))
                {
                    observed |= ObservedKinds.Date;
                    return new ColumnValue { Type = SqlType.Date, Integer = days };
                }
                if (IsoTemporal.TryTimestamp(text, out var micros, out var shape))
                {
                    observed |= shape switch
                    {
                        IsoTemporal.Shape.T => ObservedKinds.TimestampT,
                        IsoTemporal.Shape.Space => ObservedKinds.TimestampSpace,
                        _ => ObservedKinds.TimestampZ,
                    };
                    return new ColumnValue { Type = SqlType.Timestamp, Integer = micros };
                }
                // Once the column is known to be VARCHAR, whether another string could be a date no longer matters.
                if ((observed & ObservedKinds.Text) == 0)
                {
                    observed |= text.IndexOfAnyExcept(TemporalCharacters) >= 0 ? ObservedKinds.Text : ObservedKinds.AmbiguousText;
                }
                return new ColumnValue { Type = SqlType.Varchar, Start = captured.Start, Length = captured.Length, InArena = captured.InArena };
            default:
                observed |= ObservedKinds.Nested;
                return new ColumnValue { Unsure = UnsureValue.Nested };
        }
    }

    /// <summary>
    /// The characters of date, time, timestamp and UUID formats: a string with any other character (a letter other
    /// than a-f, T, Z, A/P/M, or any non-ASCII character) is one no such format reads, so its column is VARCHAR.
    /// </summary>
    private static readonly SearchValues<byte> TemporalCharacters = SearchValues.Create("0123456789abcdefABCDEF-:/.+ TtZzMmPp{}"u8);

    /// <summary>The clauses whose in-process answer does not stand (by text), each with why it needs DuckDB; empty when all stand.</summary>
    public static Dictionary<string, string> WhyNotInProcess(IReadOnlyList<RowFilters> processors)
    {
        var reasons = new Dictionary<string, string>(StringComparer.Ordinal);
        var first = processors[0];
        for (var t = 0; t < first._targets.Length; t++)
        {
            var target = first._targets[t];
            var reason = processors.Select(p => p._targets[t].Run.UnsureReason).FirstOrDefault(r => r is not null);
            for (var c = 0; reason is null && c < target.Clause.Columns.Count; c++)
            {
                var reference = target.ColumnMap[c];
                var keys = processors.SelectMany(p => p._matchedKeys[reference]).Distinct(StringComparer.Ordinal).ToList();
                var kinds = processors.Aggregate(ObservedKinds.None, (all, p) => all | p._observed[reference]);
                if (keys.Count > 1)
                {
                    kinds |= ObservedKinds.AmbiguousKey;
                }
                reason = ColumnTypeCheck.WhyNot(target.Clause.Columns[c], kinds, keys.Count > 0, target.Clause.ColumnInArithmetic[c]);
            }
            if (reason is not null)
            {
                reasons[target.Clause.Text] = reason;
            }
        }
        return reasons;
    }

    /// <summary>Rows this processor's clause selected (index as in the constructor's list).</summary>
    public long SelectedRows(int clause) => _targets[clause].RowCount;

    private readonly record struct Captured(long Row, bool IsNull, CellKind Kind, int Start, int Length, bool InArena)
    {
        public ReadOnlySpan<byte> Value(ReadOnlySpan<byte> json, ReadOnlySpan<byte> arena) => (InArena ? arena : json).Slice(Start, Length);
    }

    private sealed class Target(WhereClause clause, EvaluationPlan plan, int[] columnMap)
    {
        public WhereClause Clause { get; } = clause;
        public EvaluationPlan Plan { get; } = plan;
        public int[] ColumnMap { get; } = columnMap;
        public ClauseRun Run { get; } = new();
        /// <summary>The plan's row-end hooks, as an array: enumerating the plan's list through its interface allocated per row.</summary>
        public IRowEndHook[] Hooks { get; } = [.. plan.Hooks];
        public (ColumnSlot Slot, int Capture)[] Feeds { get; set; } = [];
        public long RowCount { get; set; }
    }
}
