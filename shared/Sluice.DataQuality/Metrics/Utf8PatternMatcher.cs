using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Unicode;

namespace Sluice.DataQuality.Metrics;

/// <summary>
/// Whole-value matching of simple regular expressions directly on UTF-8 bytes with a lazily built DFA: no
/// decoding to UTF-16, no backtracking, one table lookup per two bytes. It answers exactly as .NET's
/// <c>Regex.IsMatch</c> on <c>\A(?:pattern)\z</c> would, for the patterns it accepts:
/// ASCII literals and escaped punctuation, <c>.</c>, classes (<c>[a-z0-9._]</c>, <c>[^@]</c>),
/// <c>\d \w \s \D \W \S \t \n \r \f \v \e</c>, groups <c>( )</c> and <c>(?: )</c>, <c>|</c>, and the quantifiers
/// <c>* + ? {n} {n,} {n,m}</c> (lazy or not: for a yes/no whole-value match laziness makes no difference),
/// plus a leading <c>^</c> and trailing <c>$</c>, which are no-ops once the value is anchored at both ends.
/// Anything else (anchors elsewhere, lookarounds, backreferences, named groups, inline options, Unicode
/// categories, non-ASCII pattern text) makes <see cref="TryCreate"/> return null, and the caller keeps .NET's
/// regex. .NET matches UTF-16 code units; non-ASCII characters are all alike to an ASCII-only pattern without
/// <c>\d \w \s</c> (which know Unicode categories), so such values are matched as one "other" symbol per UTF-16
/// code unit; for patterns with those escapes, and for invalid UTF-8, <see cref="Match"/> answers null.
/// </summary>
internal sealed class Utf8PatternMatcher
{
    private const int MaxNfaStates = 4096;
    private const int MaxDfaStates = 1024;
    private const int OtherSymbol = 128; // any non-ASCII UTF-16 code unit
    private const int Unknown = -1;
    private const int DeadState = 0;
    // Byte pairs are looked up at once while the classes fit in 5 bits (a 1024-entry row per state).
    private const int MaxClassBitsForPairs = 5;
    // What a byte class stands for, besides an ASCII character (its representative is then that character).
    private const int ContinuationByte = -1; // 10xxxxxx: no UTF-16 code unit of its own
    private const int LeadOfOneUnit = -2;    // 110xxxxx, 1110xxxx: one UTF-16 code unit
    private const int LeadOfTwoUnits = -3;   // 11110xxx: a surrogate pair

    private readonly NfaState[] _nfa;
    private readonly bool _unicodeSensitive;
    private readonly Dictionary<string, int> _dfaIds = [];
    private readonly List<int[]> _dfaSets = [];
    private readonly List<bool> _accepting = [];
    // Bytes that no part of the pattern tells apart share a class, so tables stay small.
    private readonly byte[] _classOf = new byte[256];
    private readonly int[] _classRepresentative;
    private readonly int _classBits;
    private readonly int _pairBits;
    private readonly bool _usePairs;
    private int[] _single = []; // [state << _classBits | class] -> state
    private int[] _pairs = [];  // [state << _pairBits | class1 << _classBits | class2] -> state << _pairBits
    private readonly int _start;

    private Utf8PatternMatcher(NfaState[] nfa, int nfaStart, bool unicodeSensitive)
    {
        _nfa = nfa;
        _unicodeSensitive = unicodeSensitive;
        _classRepresentative = ComputeByteClasses(nfa, _classOf);
        _classBits = Math.Max(1, BitOperations.Log2((uint)_classRepresentative.Length - 1) + 1);
        _pairBits = 2 * _classBits;
        _usePairs = _classBits <= MaxClassBitsForPairs;
        AddDfaState([]); // the dead state: no NFA state alive
        _start = AddDfaState(Closure([nfaStart]));
    }

    /// <summary>A matcher for <paramref name="pattern"/>, or null when the pattern uses anything this matcher does not model.</summary>
    public static Utf8PatternMatcher? TryCreate(string pattern)
    {
        if (pattern.StartsWith('^'))
        {
            pattern = pattern[1..];
        }
        if (pattern.EndsWith('$') && CountTrailingBackslashes(pattern, pattern.Length - 1) % 2 == 0)
        {
            pattern = pattern[..^1];
        }
        var parser = new Parser(pattern);
        var tree = parser.ParseWhole();
        if (tree is null)
        {
            return null;
        }
        var builder = new NfaBuilder();
        var start = builder.Compile(tree, NfaBuilder.MatchState);
        return start < 0 ? null : new Utf8PatternMatcher([.. builder.States], start, parser.UnicodeSensitive);
    }

    /// <summary>True or false as .NET's regex would answer; null when only .NET's regex can tell (see the class remarks).</summary>
    public bool? Match(ReadOnlySpan<byte> utf8)
    {
        if (!Ascii.IsValid(utf8) && (_unicodeSensitive || !Utf8.IsValid(utf8)))
        {
            return null;
        }
        ref var classes = ref MemoryMarshal.GetArrayDataReference(_classOf);
        var state = _start;
        var i = 0;
        if (_usePairs)
        {
            // Two bytes per table lookup: the chain of dependent loads, which bounds a DFA's speed, is halved.
            // Entries hold the target's row offset (state << _pairBits), so the chain has no arithmetic but an OR.
            var row = state << _pairBits;
            ref var pairs = ref MemoryMarshal.GetArrayDataReference(_pairs);
            for (; i + 1 < utf8.Length; i += 2)
            {
                var pair = (Unsafe.Add(ref classes, utf8[i]) << _classBits) | Unsafe.Add(ref classes, utf8[i + 1]);
                var next = Unsafe.Add(ref pairs, row | pair);
                if (next <= DeadState)
                {
                    if (next == DeadState)
                    {
                        return false;
                    }
                    next = ComputePair(row >> _pairBits, pair);
                    if (next == Unknown)
                    {
                        return null; // the DFA grew too large for this pattern
                    }
                    next <<= _pairBits;
                    pairs = ref MemoryMarshal.GetArrayDataReference(_pairs); // the table may have grown
                }
                row = next;
            }
            state = row >> _pairBits;
        }
        for (; i < utf8.Length; i++)
        {
            state = Single(state, Unsafe.Add(ref classes, utf8[i]));
            if (state <= DeadState)
            {
                return state == DeadState ? false : null;
            }
        }
        return _accepting[state];
    }

    private int Single(int state, int byteClass)
    {
        var index = (state << _classBits) | byteClass;
        var next = _single[index];
        if (next == Unknown)
        {
            next = StepClass(state, byteClass);
            if (next != Unknown)
            {
                _single[index] = next;
            }
        }
        return next;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private int ComputePair(int state, int pair)
    {
        var middle = Single(state, pair >> _classBits);
        var target = middle <= DeadState ? middle : Single(middle, pair & ((1 << _classBits) - 1));
        if (target != Unknown)
        {
            _pairs[(state << _pairBits) | pair] = target << _pairBits;
        }
        return target;
    }

    private int StepClass(int state, int byteClass) => _classRepresentative[byteClass] switch
    {
        ContinuationByte => state, // its code point was accounted for at the lead byte
        LeadOfOneUnit => Step(state, OtherSymbol),
        LeadOfTwoUnits => StepTwice(state, OtherSymbol),
        var character => Step(state, character),
    };

    private int StepTwice(int state, int symbol)
    {
        var middle = Step(state, symbol);
        return middle <= DeadState ? middle : Step(middle, symbol);
    }

    private int Step(int state, int symbol)
    {
        var moved = new List<int>();
        foreach (var nfaState in _dfaSets[state])
        {
            ref readonly var node = ref _nfa[nfaState];
            if (node.Set.Contains(symbol))
            {
                moved.Add(node.Next);
            }
        }
        var closure = Closure(moved);
        if (_dfaIds.TryGetValue(Key(closure), out var id))
        {
            return id;
        }
        return _dfaSets.Count >= MaxDfaStates ? Unknown : AddDfaState(closure);
    }

    private int AddDfaState(int[] nfaStates)
    {
        var id = _dfaSets.Count;
        _dfaIds.Add(Key(nfaStates), id);
        _dfaSets.Add(nfaStates);
        _accepting.Add(Array.IndexOf(nfaStates, NfaBuilder.MatchState) >= 0);
        // The dead state leads only to itself; other rows start unknown and fill in as bytes are met.
        Array.Resize(ref _single, (id + 1) << _classBits);
        _single.AsSpan(id << _classBits).Fill(id == DeadState ? DeadState : Unknown);
        if (_usePairs)
        {
            Array.Resize(ref _pairs, (id + 1) << _pairBits);
            _pairs.AsSpan(id << _pairBits).Fill(id == DeadState ? DeadState : Unknown);
        }
        return id;
    }

    /// <summary>
    /// Splits the 128 ASCII bytes into classes no symbol set of the NFA tells apart, then adds the three kinds of
    /// non-ASCII UTF-8 bytes. Fills <paramref name="classOf"/> and returns each class's representative.
    /// </summary>
    private static int[] ComputeByteClasses(NfaState[] nfa, byte[] classOf)
    {
        var asciiClass = new int[128];
        var classCount = 1;
        foreach (var set in nfa.Where(state => state.Epsilon is null).Select(state => state.Set).Distinct())
        {
            var split = new Dictionary<(int, bool), int>();
            for (var c = 0; c < 128; c++)
            {
                var key = (asciiClass[c], set.Contains(c));
                if (!split.TryGetValue(key, out var refined))
                {
                    refined = split.Count;
                    split.Add(key, refined);
                }
                asciiClass[c] = refined;
            }
            classCount = split.Count;
        }
        var representatives = new int[classCount + 3];
        for (var c = 127; c >= 0; c--)
        {
            classOf[c] = (byte)asciiClass[c];
            representatives[asciiClass[c]] = c;
        }
        representatives[classCount] = ContinuationByte;
        representatives[classCount + 1] = LeadOfOneUnit;
        representatives[classCount + 2] = LeadOfTwoUnits;
        classOf.AsSpan(0x80, 0x40).Fill((byte)classCount);
        classOf.AsSpan(0xC0, 0x30).Fill((byte)(classCount + 1));
        classOf.AsSpan(0xF0, 0x10).Fill((byte)(classCount + 2));
        return representatives;
    }

    /// <summary>The states reachable through epsilon moves, keeping only those that consume a symbol or accept.</summary>
    private int[] Closure(IEnumerable<int> states)
    {
        var seen = new HashSet<int>();
        var stack = new Stack<int>(states);
        var result = new SortedSet<int>();
        while (stack.Count > 0)
        {
            var state = stack.Pop();
            if (!seen.Add(state))
            {
                continue;
            }
            var node = _nfa[state];
            if (node.Epsilon is { } targets)
            {
                foreach (var target in targets)
                {
                    stack.Push(target);
                }
            }
            else
            {
                result.Add(state);
            }
        }
        return [.. result];
    }

    private static string Key(int[] states) => string.Join(',', states);

    private static int CountTrailingBackslashes(string text, int before)
    {
        var count = 0;
        for (var i = before - 1; i >= 0 && text[i] == '\\'; i--)
        {
            count++;
        }
        return count;
    }

    /// <summary>A set of symbols: ASCII code points 0..127 and <see cref="OtherSymbol"/>.</summary>
    private readonly record struct SymbolSet(UInt128 Ascii, bool Other)
    {
        public static SymbolSet Of(char c) => new(UInt128.One << c, false);

        public static SymbolSet Range(char from, char to)
        {
            var bits = UInt128.Zero;
            for (var c = from; c <= to; c++)
            {
                bits |= UInt128.One << c;
            }
            return new(bits, false);
        }

        public SymbolSet Union(SymbolSet other) => new(Ascii | other.Ascii, Other || other.Other);

        public SymbolSet Complement() => new(~Ascii, !Other);

        public bool Contains(int symbol) => symbol == OtherSymbol ? Other : ((Ascii >> symbol) & UInt128.One) != UInt128.Zero;
    }

    /// <summary>Either consumes one symbol of <see cref="Set"/> and moves to <see cref="Next"/>, or (Epsilon set) moves freely, or accepts (state 0).</summary>
    private readonly record struct NfaState(SymbolSet Set, int Next, int[]? Epsilon);

    private abstract record Node;

    private sealed record SymbolNode(SymbolSet Set) : Node;

    private sealed record SequenceNode(IReadOnlyList<Node> Items) : Node;

    private sealed record ChoiceNode(IReadOnlyList<Node> Options) : Node;

    private sealed record RepeatNode(Node Item, int Min, int Max) : Node; // Max -1 = unbounded

    /// <summary>Recursive descent over the accepted subset; returns null for anything outside it.</summary>
    private sealed class Parser(string pattern)
    {
        private int _position;

        public bool UnicodeSensitive { get; private set; }

        public Node? ParseWhole()
        {
            var node = ParseChoice();
            return _position == pattern.Length ? node : null;
        }

        private Node? ParseChoice()
        {
            var options = new List<Node>();
            while (true)
            {
                var sequence = ParseSequence();
                if (sequence is null)
                {
                    return null;
                }
                options.Add(sequence);
                if (_position < pattern.Length && pattern[_position] == '|')
                {
                    _position++;
                    continue;
                }
                return options.Count == 1 ? options[0] : new ChoiceNode(options);
            }
        }

        private Node? ParseSequence()
        {
            var items = new List<Node>();
            while (_position < pattern.Length && pattern[_position] is not ('|' or ')'))
            {
                var atom = ParseAtom();
                if (atom is null)
                {
                    return null;
                }
                var repeated = ParseQuantifier(atom);
                if (repeated is null)
                {
                    return null;
                }
                items.Add(repeated);
            }
            return new SequenceNode(items);
        }

        private Node? ParseAtom()
        {
            var c = pattern[_position++];
            switch (c)
            {
                case '(':
                    if (_position < pattern.Length && pattern[_position] == '?')
                    {
                        if (_position + 1 >= pattern.Length || pattern[_position + 1] != ':')
                        {
                            return null; // lookarounds, named groups, inline options
                        }
                        _position += 2;
                    }
                    var inner = ParseChoice();
                    if (inner is null || _position >= pattern.Length || pattern[_position] != ')')
                    {
                        return null;
                    }
                    _position++;
                    return inner;
                case '[':
                    return ParseClass();
                case '.':
                    return new SymbolNode(SymbolSet.Of('\n').Complement());
                case '\\':
                    return ParseEscape() is { } set ? new SymbolNode(set) : null;
                case '*' or '+' or '?' or '{' or '^' or '$' or ')' or '|':
                    return null;
                default:
                    return c < 0x80 ? new SymbolNode(SymbolSet.Of(c)) : null;
            }
        }

        private Node? ParseQuantifier(Node atom)
        {
            if (_position >= pattern.Length)
            {
                return atom;
            }
            int min, max;
            switch (pattern[_position])
            {
                case '*':
                    (min, max) = (0, -1);
                    _position++;
                    break;
                case '+':
                    (min, max) = (1, -1);
                    _position++;
                    break;
                case '?':
                    (min, max) = (0, 1);
                    _position++;
                    break;
                case '{':
                    if (!TryParseCount(out min, out max))
                    {
                        return null; // .NET reads a '{' that starts no valid count as a literal; not modelled
                    }
                    break;
                default:
                    return atom;
            }
            if (_position < pattern.Length && pattern[_position] == '?')
            {
                _position++; // lazy: same yes/no answer for a whole-value match
            }
            if (_position < pattern.Length && pattern[_position] is '*' or '+' or '?' or '{')
            {
                return null;
            }
            return new RepeatNode(atom, min, max);
        }

        private bool TryParseCount(out int min, out int max)
        {
            min = max = 0;
            var close = pattern.IndexOf('}', _position);
            if (close < 0)
            {
                return false;
            }
            var body = pattern.AsSpan(_position + 1, close - _position - 1);
            var comma = body.IndexOf(',');
            var ok = comma < 0
                ? TryCount(body, out min) && (max = min) >= 0
                : TryCount(body[..comma], out min) && (comma == body.Length - 1 ? (max = -1) < 0 : TryCount(body[(comma + 1)..], out max) && max >= min);
            if (ok)
            {
                _position = close + 1;
            }
            return ok;
        }

        private static bool TryCount(ReadOnlySpan<char> digits, out int value)
        {
            value = 0;
            if (digits.Length is 0 or > 4)
            {
                return false;
            }
            foreach (var d in digits)
            {
                if (!char.IsAsciiDigit(d))
                {
                    return false;
                }
                value = value * 10 + (d - '0');
            }
            return true;
        }

        private SymbolNode? ParseClass()
        {
            var negate = _position < pattern.Length && pattern[_position] == '^';
            if (negate)
            {
                _position++;
            }
            if (_position < pattern.Length && pattern[_position] == ']')
            {
                return null; // a leading ']' is a literal in .NET; not modelled
            }
            var set = new SymbolSet(UInt128.Zero, false);
            while (true)
            {
                if (_position >= pattern.Length)
                {
                    return null;
                }
                var c = pattern[_position++];
                if (c == ']')
                {
                    break;
                }
                SymbolSet item;
                char? single = null;
                if (c == '\\')
                {
                    var escaped = _position < pattern.Length ? pattern[_position] : '\0';
                    if (ParseEscape() is not { } escapedSet)
                    {
                        return null;
                    }
                    item = escapedSet;
                    if (escaped is not ('d' or 'D' or 'w' or 'W' or 's' or 'S'))
                    {
                        single = SingleChar(escapedSet);
                    }
                }
                else if (c >= 0x80)
                {
                    return null;
                }
                else
                {
                    item = SymbolSet.Of(c);
                    single = c;
                }

                // A range "x-y"; '-' before ']' or at the start is a literal; "-[" is class subtraction (not modelled).
                if (single is { } from && _position + 1 < pattern.Length && pattern[_position] == '-' && pattern[_position + 1] != ']')
                {
                    _position++;
                    var toChar = pattern[_position++];
                    if (toChar == '[')
                    {
                        return null;
                    }
                    char to;
                    if (toChar == '\\')
                    {
                        if (ParseEscape() is not { } toSet || SingleChar(toSet) is not { } escapedTo)
                        {
                            return null;
                        }
                        to = escapedTo;
                    }
                    else if (toChar >= 0x80)
                    {
                        return null;
                    }
                    else
                    {
                        to = toChar;
                    }
                    if (to < from)
                    {
                        return null;
                    }
                    item = SymbolSet.Range(from, to);
                    if (DashStartsAmbiguousRange())
                    {
                        return null; // "[a-z-0]": how .NET reads a '-' right after a range is not modelled
                    }
                }
                else if (single is null && DashStartsAmbiguousRange())
                {
                    return null; // "[\d-z]": a range from a class escape is not modelled
                }
                else if (c == '-' && _position < pattern.Length && pattern[_position] == '[')
                {
                    return null;
                }
                set = set.Union(item);
            }
            return new SymbolNode(negate ? set.Complement() : set);
        }

        private bool DashStartsAmbiguousRange() =>
            _position + 1 < pattern.Length && pattern[_position] == '-' && pattern[_position + 1] != ']';

        private static char? SingleChar(SymbolSet set)
        {
            if (set.Other || set.Ascii == UInt128.Zero || (set.Ascii & (set.Ascii - UInt128.One)) != UInt128.Zero)
            {
                return null;
            }
            return (char)(int)UInt128.TrailingZeroCount(set.Ascii);
        }

        /// <summary>After a backslash: a class escape, a control escape, or escaped punctuation.</summary>
        private SymbolSet? ParseEscape()
        {
            if (_position >= pattern.Length)
            {
                return null;
            }
            var c = pattern[_position++];
            switch (c)
            {
                case 'd':
                    UnicodeSensitive = true;
                    return SymbolSet.Range('0', '9');
                case 'D':
                    UnicodeSensitive = true;
                    return SymbolSet.Range('0', '9').Complement();
                case 'w':
                    UnicodeSensitive = true;
                    return WordChars();
                case 'W':
                    UnicodeSensitive = true;
                    return WordChars().Complement();
                case 's':
                    UnicodeSensitive = true;
                    return SpaceChars();
                case 'S':
                    UnicodeSensitive = true;
                    return SpaceChars().Complement();
                case 't':
                    return SymbolSet.Of('\t');
                case 'n':
                    return SymbolSet.Of('\n');
                case 'r':
                    return SymbolSet.Of('\r');
                case 'f':
                    return SymbolSet.Of('\f');
                case 'v':
                    return SymbolSet.Of('\v');
                case 'e':
                    return SymbolSet.Of('\u001B');
                default:
                    // Escaped punctuation is the literal character; letters, digits and '_' have other meanings.
                    if (c >= 0x80 || char.IsAsciiLetterOrDigit(c) || c == '_')
                    {
                        return null;
                    }
                    return SymbolSet.Of(c);
            }
        }

        private static SymbolSet WordChars() =>
            SymbolSet.Range('a', 'z').Union(SymbolSet.Range('A', 'Z')).Union(SymbolSet.Range('0', '9')).Union(SymbolSet.Of('_'));

        private static SymbolSet SpaceChars() => SymbolSet.Range('\t', '\r').Union(SymbolSet.Of(' '));
    }

    /// <summary>Thompson construction, built back to front: each node is compiled with the state that follows it.</summary>
    private sealed class NfaBuilder
    {
        public const int MatchState = 0;

        public NfaBuilder() => States.Add(new NfaState(default, -1, null));

        public List<NfaState> States { get; } = [];

        /// <summary>Start state of <paramref name="node"/> followed by <paramref name="next"/>; -1 when the NFA would be too large.</summary>
        public int Compile(Node node, int next)
        {
            if (next < 0 || States.Count > MaxNfaStates)
            {
                return -1;
            }
            switch (node)
            {
                case SymbolNode symbol:
                    return Add(new NfaState(symbol.Set, next, null));
                case SequenceNode sequence:
                    for (var i = sequence.Items.Count - 1; i >= 0 && next >= 0; i--)
                    {
                        next = Compile(sequence.Items[i], next);
                    }
                    return next;
                case ChoiceNode choice:
                    var starts = new int[choice.Options.Count];
                    for (var i = 0; i < starts.Length; i++)
                    {
                        starts[i] = Compile(choice.Options[i], next);
                        if (starts[i] < 0)
                        {
                            return -1;
                        }
                    }
                    return Add(new NfaState(default, -1, starts));
                case RepeatNode repeat:
                    if (repeat.Max < 0)
                    {
                        // Loop state: either one more item (which comes back here) or on to next.
                        var loop = Add(new NfaState(default, -1, [next]));
                        var body = Compile(repeat.Item, loop);
                        if (body < 0)
                        {
                            return -1;
                        }
                        States[loop] = new NfaState(default, -1, [body, next]);
                        next = loop;
                    }
                    else
                    {
                        for (var i = 0; i < repeat.Max - repeat.Min && next >= 0; i++)
                        {
                            var item = Compile(repeat.Item, next);
                            next = item < 0 ? -1 : Add(new NfaState(default, -1, [item, next]));
                        }
                    }
                    for (var i = 0; i < repeat.Min && next >= 0; i++)
                    {
                        next = Compile(repeat.Item, next);
                    }
                    return next;
                default:
                    return -1;
            }
        }

        private int Add(NfaState state)
        {
            States.Add(state);
            return States.Count - 1;
        }
    }
}
