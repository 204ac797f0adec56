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
    public static CellPredicate ForColumnValues(Condition condition, DateTimeOffset now, TimeSpan regexTimeout)
    {
        var operands = condition.Operands;
        if (condition.Operator is ConditionOperator.Matches or ConditionOperator.NotMatches)
        {
            return new RegexPredicate(operands[0].Text!, condition.Operator == ConditionOperator.NotMatches, regexTimeout);
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
        private readonly Condition _condition;
        private readonly bool _hasNull;
        private readonly bool _onlyNull;
        private readonly bool _negative;

        public NumberPredicate(Condition condition)
        {
            _condition = condition;
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
            return cell.TryGetNumber(out var value) && _condition.IsSatisfiedBy(value);
        }

        public override bool TestNull() => _negative ? !_hasNull : _hasNull;
    }

    private sealed class StringPredicate : CellPredicate
    {
        private readonly byte[][] _values;
        private readonly ValueFrequencyTable? _lookup;
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
            foreach (var value in _values)
            {
                if (text.SequenceEqual(value))
                {
                    return true;
                }
            }
            return false;
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

    private sealed class RegexPredicate(string pattern, bool negate, TimeSpan timeout) : CellPredicate
    {
        // DQDL "matches" is a whole-value match (Deequ anchors the pattern as ^pattern$).
        private readonly Regex _regex = new($"\\A(?:{pattern})\\z", RegexOptions.CultureInvariant | RegexOptions.Compiled, timeout);
        private readonly CharBuffer _buffer = new();

        public override bool Test(ref ColumnCell cell)
        {
            if (Error is not null)
            {
                return false;
            }
            try
            {
                return _regex.IsMatch(_buffer.Decode(cell.Utf8)) != negate;
            }
            catch (RegexMatchTimeoutException)
            {
                // One pathological match must not stall the whole pass: stop matching, report the rule as Error.
                Error = $"The regular expression took longer than {timeout.TotalMilliseconds} ms on one value";
                return false;
            }
        }

        public override bool TestNull() => false;
    }

    private sealed class LengthPredicate(Condition condition) : CellPredicate
    {
        private readonly bool _nullResult = condition.IsSatisfiedBy(0);

        public override bool Test(ref ColumnCell cell) => condition.IsSatisfiedBy(cell.CharacterLength());

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
        private readonly long _nowSeconds = now.ToUnixTimeSeconds();

        public override bool Test(ref ColumnCell cell)
        {
            if (!cell.TryGetTimestamp(out var value))
            {
                return false;
            }
            // Glue: (unix seconds of now - unix seconds of the value) / 3600, rounded half-up to 2 decimals.
            var age = Math.Round((_nowSeconds - value.ToUnixTimeSeconds()) / 3600.0, 2, MidpointRounding.AwayFromZero);
            return hours.IsSatisfiedBy(age);
        }

        public override bool TestNull() => false;
    }
}
