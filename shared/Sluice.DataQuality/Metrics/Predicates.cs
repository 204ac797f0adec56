using System.Buffers.Binary;
using System.Text.RegularExpressions;
using Sluice.DataQuality.Model;
using Sluice.DataQuality.Values;

namespace Sluice.DataQuality.Metrics;

/// <summary>
/// Builds the per-row predicates of ColumnValues, ColumnLength, ColumnDataType and DataFreshness.
/// Null handling follows the reference: for ColumnValues a null row fails every expression except
/// <c>!=</c> and <c>not in</c> (and <c>= NULL</c> / <c>in [NULL]</c>); ColumnLength treats null as length 0;
/// DataFreshness and ColumnDataType fail null rows.
/// </summary>
internal static class Predicates
{
    public static CellPredicate ForColumnValues(Condition condition, DateTimeOffset now, RegexCache regexes)
    {
        var operands = condition.Operands;
        if (condition.Operator is ConditionOperator.Matches or ConditionOperator.NotMatches)
        {
            return new RegexPredicate(operands[0].Text!, condition.Operator == ConditionOperator.NotMatches, regexes);
        }
        if (operands.Any(o => o.Kind == OperandKind.Date))
        {
            return new DatePredicate(condition, now);
        }
        if (operands.Any(o => o.Kind == OperandKind.Number))
        {
            return new NumberPredicate(condition);
        }
        return new StringPredicate(condition);
    }

    public static CellPredicate ForLength(Condition condition) => new LengthPredicate(condition);

    public static CellPredicate ForDataType(Condition condition) =>
        new DataTypePredicate(SparkCasts.Parse(condition.Operands[0].Text!), condition.Operator == ConditionOperator.Equal);

    public static CellPredicate ForFreshness(Condition condition, DateTimeOffset now)
    {
        // Compare in hours, as Glue does: the age is rounded to two decimals of an hour.
        var hours = condition.Operands.Select(o => new Operand { Kind = OperandKind.Number, Number = o.Duration.TotalHours }).ToArray();
        return new FreshnessPredicate(new Condition(condition.Operator, hours, condition.Text), now);
    }

    /// <summary>Null/empty/whitespace-only keywords, shared by string and number predicates.</summary>
    private static bool IsNegative(ConditionOperator op) => op is ConditionOperator.NotEqual or ConditionOperator.NotIn;

    private sealed class NumberPredicate : CellPredicate
    {
        private readonly NumericTest _test;
        private readonly bool _hasNull;
        private readonly bool _onlyNull;
        private readonly bool _negative;

        public NumberPredicate(Condition condition)
        {
            _test = new NumericTest(condition);
            _hasNull = condition.Operands.Any(o => o.Kind == OperandKind.Null);
            _onlyNull = condition.Operands.All(o => o.Kind == OperandKind.Null);
            _negative = IsNegative(condition.Operator);
        }

        public override bool Test(ref ColumnCell cell)
        {
            if (_onlyNull)
            {
                // "= NULL" / "in [NULL]" fail every value; "!= NULL" / "not in [NULL]" pass every value.
                return _negative;
            }
            // A value that is not a number cannot be compared (Spark's cast yields null): it fails.
            return cell.TryGetNumber(out var value) && _test.IsSatisfiedBy(value);
        }

        public override bool TestNull() => _negative ? !_hasNull : _hasNull;
    }

    private sealed class StringPredicate : CellPredicate
    {
        private readonly byte[][] _values;
        private readonly ValueFrequencyTable? _lookup;
        // Short listed values (up to 8 bytes, the usual codes and statuses) packed into integers: one compare each.
        private readonly ulong[] _packedShortValues = [];
        private readonly int[] _shortValueLengths = [];
        private readonly byte[][] _longValues = [];
        private readonly bool _hasNull;
        private readonly bool _hasEmpty;
        private readonly bool _hasWhitespace;
        private readonly bool _negative;

        public StringPredicate(Condition condition)
        {
            var operands = condition.Operands;
            _values = operands.Where(o => o.Kind == OperandKind.String).Select(o => System.Text.Encoding.UTF8.GetBytes(o.Text!)).ToArray();
            _hasNull = operands.Any(o => o.Kind == OperandKind.Null);
            _hasEmpty = operands.Any(o => o.Kind == OperandKind.Empty);
            _hasWhitespace = operands.Any(o => o.Kind == OperandKind.WhitespacesOnly);
            _negative = IsNegative(condition.Operator);
            if (_values.Length > 8)
            {
                _lookup = new ValueFrequencyTable();
                foreach (var value in _values)
                {
                    _lookup.Add(value);
                }
            }
            else
            {
                _packedShortValues = [.. _values.Where(v => v.Length <= 8).Select(v => Pack(v))];
                _shortValueLengths = [.. _values.Where(v => v.Length <= 8).Select(v => v.Length)];
                _longValues = [.. _values.Where(v => v.Length > 8)];
            }
        }

        public override bool Test(ref ColumnCell cell)
        {
            var text = cell.Utf8;
            var isString = cell.Kind == CellKind.String;
            var keyword = (_hasEmpty && isString && text.Length == 0) || (_hasWhitespace && isString && IsWhitespaceOnly(text));
            var listed = keyword || Contains(text);
            return listed != _negative;
        }

        public override bool TestNull() => _hasNull != _negative;

        private bool Contains(ReadOnlySpan<byte> text)
        {
            if (_lookup is not null)
            {
                return _lookup.Contains(text);
            }
            if (text.Length <= 8)
            {
                // No early exit: with values in random order an exit at a varying position is a branch
                // misprediction per row, which costs more than the few compares it saves.
                var packed = Pack(text);
                var found = false;
                for (var i = 0; i < _packedShortValues.Length; i++)
                {
                    found |= (_packedShortValues[i] == packed) & (_shortValueLengths[i] == text.Length);
                }
                return found;
            }
            foreach (var value in _longValues)
            {
                if (text.SequenceEqual(value))
                {
                    return true;
                }
            }
            return false;
        }

        /// <summary>Up to 8 bytes as a little-endian integer (zero-padded; lengths are compared separately).</summary>
        private static ulong Pack(ReadOnlySpan<byte> text)
        {
            // Two overlapping loads cover 2..8 bytes; the overlap holds the same bytes in both, so OR keeps them.
            var length = text.Length;
            if (length >= 4)
            {
                return BinaryPrimitives.ReadUInt32LittleEndian(text)
                    | ((ulong)BinaryPrimitives.ReadUInt32LittleEndian(text[(length - 4)..]) << ((length - 4) * 8));
            }
            if (length >= 2)
            {
                return BinaryPrimitives.ReadUInt16LittleEndian(text)
                    | ((ulong)BinaryPrimitives.ReadUInt16LittleEndian(text[(length - 2)..]) << ((length - 2) * 8));
            }
            return length == 1 ? text[0] : 0UL;
        }

        /// <summary>Spark's <c>LENGTH(TRIM(col)) = 0 AND LENGTH(col) &gt; 0</c>: TRIM removes spaces only.</summary>
        private static bool IsWhitespaceOnly(ReadOnlySpan<byte> text) => text.Length > 0 && !text.ContainsAnyExcept((byte)' ');
    }

    private sealed class DatePredicate : CellPredicate
    {
        private readonly ConditionOperator _op;
        private readonly DateExpression[] _dates;
        private readonly DateTimeOffset[] _instants;
        private readonly bool _hasNull;
        private readonly bool _onlyNull;

        public DatePredicate(Condition condition, DateTimeOffset now)
        {
            _op = condition.Operator;
            _dates = condition.Operands.Where(o => o.Kind == OperandKind.Date).Select(o => o.Date!).ToArray();
            _instants = _dates.Select(d => d.Resolve(now)).ToArray();
            _hasNull = condition.Operands.Any(o => o.Kind == OperandKind.Null);
            _onlyNull = _dates.Length == 0;
        }

        public override bool Test(ref ColumnCell cell)
        {
            if (_onlyNull)
            {
                return IsNegative(_op);
            }
            if (!cell.TryGetTimestamp(out var value))
            {
                return false;
            }
            switch (_op)
            {
                case ConditionOperator.Equal: return Compare(value, 0) == 0;
                case ConditionOperator.NotEqual: return Compare(value, 0) != 0;
                case ConditionOperator.GreaterThan: return Compare(value, 0) > 0;
                case ConditionOperator.GreaterThanOrEqual: return Compare(value, 0) >= 0;
                case ConditionOperator.LessThan: return Compare(value, 0) < 0;
                case ConditionOperator.LessThanOrEqual: return Compare(value, 0) <= 0;
                case ConditionOperator.Between: return Compare(value, 0) > 0 && Compare(value, 1) < 0;
                case ConditionOperator.NotBetween: return Compare(value, 0) <= 0 || Compare(value, 1) >= 0;
                case ConditionOperator.In:
                case ConditionOperator.NotIn:
                    var found = false;
                    for (var i = 0; i < _dates.Length && !found; i++)
                    {
                        found = Compare(value, i) == 0;
                    }
                    return found == (_op == ConditionOperator.In);
                default:
                    return false;
            }
        }

        public override bool TestNull() => IsNegative(_op) ? !_hasNull : _hasNull;

        /// <summary>A literal date compares the value's UTC calendar day (Spark's <c>to_date</c>); now() compares instants.</summary>
        private int Compare(DateTimeOffset value, int operand) =>
            _dates[operand].Literal is { } day
                ? DateOnly.FromDateTime(value.UtcDateTime).CompareTo(day)
                : value.CompareTo(_instants[operand]);
    }

    private sealed class RegexPredicate(string pattern, bool negate, RegexCache regexes) : CellPredicate
    {
        // Most patterns are simple enough to match on the UTF-8 bytes with a DFA; it answers as .NET's regex would.
        // The regex (compiled, so costly to build) is only built, once per evaluation, if some value needs it.
        private readonly Utf8PatternMatcher? _matcher = Utf8PatternMatcher.TryCreate(pattern);
        private readonly CharBuffer _buffer = new();
        private Regex? _regex;

        public override bool Test(ref ColumnCell cell)
        {
            if (Error is not null)
            {
                return false;
            }
            if (_matcher?.Match(cell.Utf8) is { } matched)
            {
                return matched != negate;
            }
            try
            {
                _regex ??= regexes.Get(pattern);
                return _regex.IsMatch(_buffer.Decode(cell.Utf8)) != negate;
            }
            catch (RegexMatchTimeoutException)
            {
                // One pathological match must not stall the whole pass: stop matching, report the rule as Error.
                Error = $"The regular expression took longer than {regexes.MatchTimeout.TotalMilliseconds} ms on one value";
                return false;
            }
        }

        public override bool TestNull() => false;
    }

    private sealed class LengthPredicate(Condition condition) : CellPredicate
    {
        private readonly NumericTest _test = new(condition);
        private readonly bool _nullResult = condition.IsSatisfiedBy(0);

        public override bool Test(ref ColumnCell cell) => _test.IsSatisfiedBy(cell.CharacterLength());

        public override bool TestNull() => _nullResult;
    }

    private sealed class DataTypePredicate(CastType type, bool equals) : CellPredicate
    {
        public override bool Test(ref ColumnCell cell) => SparkCasts.CanCast(ref cell, type) == equals;

        // Casting null yields null, which is "not castable".
        public override bool TestNull() => !equals;
    }

    private sealed class FreshnessPredicate(Condition hours, DateTimeOffset now) : CellPredicate
    {
        // Rounding the age to 0.01 h moves it by at most 18 s, so an age more than a minute away from every bound
        // compares the same before and after rounding: such ages are judged in whole seconds, without the two
        // divisions the exact path costs. Ages near a bound take the exact path.
        private const double SafeDistanceSeconds = 60;

        private readonly NumericTest _hours = new(hours);
        private readonly NumericTest _seconds = new(hours, scale: 3600);
        private readonly double[] _boundsInSeconds = [.. hours.Operands.Select(o => o.Number * 3600)];
        private readonly long _nowSeconds = now.ToUnixTimeSeconds();

        public override bool Test(ref ColumnCell cell)
        {
            long seconds;
            if (cell.Kind == CellKind.String && TimestampParser.TryParseUtcSeconds(cell.Utf8, out var fast))
            {
                seconds = fast;
            }
            else if (cell.TryGetTimestamp(out var value))
            {
                seconds = value.ToUnixTimeSeconds();
            }
            else
            {
                return false;
            }
            var ageSeconds = _nowSeconds - seconds;
            var nearBound = false;
            foreach (var bound in _boundsInSeconds)
            {
                nearBound |= Math.Abs(ageSeconds - bound) <= SafeDistanceSeconds;
            }
            if (!nearBound)
            {
                return _seconds.IsSatisfiedBy(ageSeconds);
            }
            // Glue: (unix seconds of now - unix seconds of the value) / 3600, rounded half-up to 2 decimals.
            var age = Math.Round(ageSeconds / 3600.0, 2, MidpointRounding.AwayFromZero);
            return _hours.IsSatisfiedBy(age);
        }

        public override bool TestNull() => false;
    }

    /// <summary>
    /// <see cref="Condition.IsSatisfiedBy"/> with the operator and bounds copied into fields, for per-row use: the
    /// same comparisons, without reading the operands through <see cref="IReadOnlyList{T}"/> on every row.
    /// </summary>
    private readonly struct NumericTest
    {
        private readonly ConditionOperator _op;
        private readonly double _first;
        private readonly double _second;
        private readonly double[] _listed;

        /// <param name="condition">A numeric condition.</param>
        /// <param name="scale">Multiplies every bound (DataFreshness compares seconds against bounds in hours).</param>
        public NumericTest(Condition condition, double scale = 1)
        {
            _op = condition.Operator;
            var operands = condition.Operands;
            _first = operands.Count > 0 ? operands[0].Number * scale : 0;
            _second = operands.Count > 1 ? operands[1].Number * scale : 0;
            _listed = [.. operands.Where(o => o.Kind == OperandKind.Number).Select(o => o.Number * scale)];
        }

        public bool IsSatisfiedBy(double value)
        {
            switch (_op)
            {
                case ConditionOperator.Equal: return value == _first;
                case ConditionOperator.NotEqual: return value != _first;
                case ConditionOperator.GreaterThan: return value > _first;
                case ConditionOperator.GreaterThanOrEqual: return value >= _first;
                case ConditionOperator.LessThan: return value < _first;
                case ConditionOperator.LessThanOrEqual: return value <= _first;
                case ConditionOperator.Between: return value > _first && value < _second;
                case ConditionOperator.NotBetween: return value <= _first || value >= _second;
                case ConditionOperator.In:
                case ConditionOperator.NotIn:
                    var found = false;
                    foreach (var listed in _listed)
                    {
                        found |= listed == value;
                    }
                    return found == (_op == ConditionOperator.In);
                default:
                    return false;
            }
        }
    }
}
