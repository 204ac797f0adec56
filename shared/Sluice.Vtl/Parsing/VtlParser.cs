using System.Globalization;
using System.Numerics;
using System.Text;
using Sluice.Vtl.Syntax;

namespace Sluice.Vtl.Parsing;

/// <summary>
/// A recursive-descent parser that reproduces Apache Velocity 1.7's JavaCC grammar (Parser.jjt) and the
/// lexical-state quirks that decide what is VTL and what is text: a directive's closing parenthesis, #else
/// and #end swallow the blanks and newline that follow them; #set also swallows the blanks before it when
/// they start a token; a backslash escapes a reference or a known directive; anything that is not VTL is text.
/// </summary>
internal sealed class VtlParser
{
    /// <summary>Directives Velocity 1.7 knows besides #if/#else/#elseif/#end/#set (its directive.properties).</summary>
    private static readonly HashSet<string> KnownDirectives =
        ["foreach", "include", "parse", "macro", "literal", "evaluate", "break", "define", "stop"];

    private readonly string _s;
    private readonly string? _name;
    private readonly Dictionary<string, MacroDefinition> _macros;
    private readonly List<int> _lineStarts = [0];
    private int _p;
    private int _nesting;

    /// <summary>Deepest nesting of blocks and parenthesised/negated expressions a template may have.</summary>
    internal const int MaxNesting = 200;

    private enum Terminator
    {
        Eof,
        End,
        Else,
        ElseIf,
    }

    public VtlParser(string source, string? name, Dictionary<string, MacroDefinition> macros)
    {
        _s = source;
        _name = name;
        _macros = macros;
        for (var i = 0; i < source.Length; i++)
        {
            if (source[i] == '\n' || (source[i] == '\r' && (i + 1 >= source.Length || source[i + 1] != '\n')))
            {
                _lineStarts.Add(i + 1);
            }
        }
    }

    public IReadOnlyDictionary<string, MacroDefinition> Macros => _macros;

    public Node[] ParseTemplate()
    {
        var nodes = ParseStatements(out var term, out var termAt);
        if (term != Terminator.Eof)
        {
            throw Error($"#{term.ToString().ToLowerInvariant()} without a matching block to close", termAt);
        }

        return nodes;
    }

    // ------------------------------------------------------------------ statements

    private Node[] ParseStatements(out Terminator term, out int termAt)
    {
        Nest();
        try
        {
            return ParseStatementsCore(out term, out termAt);
        }
        finally
        {
            _nesting--;
        }
    }

    private void Nest()
    {
        if (++_nesting > MaxNesting)
        {
            throw Error($"The template nests blocks or expressions deeper than {MaxNesting} levels", _p);
        }

        System.Runtime.CompilerServices.RuntimeHelpers.EnsureSufficientExecutionStack();
    }

    private Node[] ParseStatementsCore(out Terminator term, out int termAt)
    {
        var nodes = new List<Node>();
        var text = new StringBuilder();
        var textAt = -1;

        void AddText(string t, int at)
        {
            if (text.Length == 0)
            {
                textAt = at;
            }

            text.Append(t);
        }

        void Flush()
        {
            if (text.Length > 0)
            {
                var (line, col) = Pos(textAt);
                nodes.Add(new TextNode(text.ToString(), line, col));
                text.Clear();
            }
        }

        void Add(Node node)
        {
            Flush();
            nodes.Add(node);
        }

        while (true)
        {
            if (_p >= _s.Length)
            {
                term = Terminator.Eof;
                termAt = _p;
                break;
            }

            var start = _p;
            if (TryParseSet(out var set))
            {
                Add(set!);
                continue;
            }

            var c = _s[_p];
            if (c == '$')
            {
                if (PeekAt(1) == '#' && TryParseDollarHash(AddText))
                {
                    continue;
                }

                var reference = TryParseReference(_p, 0);
                if (reference is not null)
                {
                    Add(new ReferenceStatement(reference));
                    AfterReference(reference, AddText, Add);
                }
                else
                {
                    AddText(SkipFailedDollar(), start);
                }

                continue;
            }

            if (c == '\\')
            {
                ParseBackslashes(AddText, Add);
                continue;
            }

            if (c == '#')
            {
                var hashTerm = ParseHash(AddText, Add, out var hashNode);
                if (hashNode is not null)
                {
                    Add(hashNode);
                }

                if (hashTerm is { } t)
                {
                    term = t;
                    termAt = start;
                    break;
                }

                continue;
            }

            var end = _p;
            while (end < _s.Length && _s[end] is not ('$' or '#' or '\\'))
            {
                end++;
            }

            AddText(_s[_p..end], _p);
            _p = end;
        }

        Flush();
        return [.. nodes];
    }

    /// <summary>Velocity's SET_DIRECTIVE token: <c>[ \t]*(#set|#{set}) *(</c>, matched where a token starts.</summary>
    private bool TryParseSet(out Node? node)
    {
        node = null;
        var i = _p;
        while (i < _s.Length && _s[i] is ' ' or '\t')
        {
            i++;
        }

        int after;
        if (At(i, "#set"))
        {
            after = i + 4;
        }
        else if (At(i, "#{set}"))
        {
            after = i + 6;
        }
        else
        {
            return false;
        }

        while (after < _s.Length && _s[after] == ' ')
        {
            after++;
        }

        if (after >= _s.Length || _s[after] != '(')
        {
            return false;
        }

        var hashAt = i;
        _p = after + 1;
        SkipWs();
        if (Peek() != '$')
        {
            throw Error("#set needs a reference on its left side, as in #set($name = value)", _p);
        }

        var target = TryParseReference(_p, 0) ?? throw Error("#set needs a reference on its left side", _p);
        SkipWs();
        if (Peek() != '=')
        {
            throw Error("#set needs '=' after its reference", _p);
        }

        _p++;
        var value = ParseExpression();
        ExpectDirectiveClose("#set");
        var (line, col) = Pos(hashAt);
        node = new SetNode(target, value, line, col);
        return true;
    }

    /// <summary>
    /// What Velocity's lexer does while still in its reference state after <c>$name</c>: a #set (blanks before
    /// it included) or a #* comment right after the reference returns to that state, where a '[' is an index
    /// bracket with nothing to index (a parse error) and a '{' opens a "runt" reference.
    /// </summary>
    private void AfterReference(ReferenceExpr reference, Action<string, int> addText, Action<Node> add)
    {
        var formal = reference.Literal.StartsWith("${", StringComparison.Ordinal) || reference.Literal.StartsWith("$!{", StringComparison.Ordinal);
        if (formal)
        {
            return;
        }

        // After ".name" Velocity's lexer is in a state without the "##" comment token: "##" is text there.
        if (reference.Modifiers.Length > 0 && reference.Modifiers[^1] is PropertyModifier && At(_p, "##"))
        {
            addText("##", _p);
            _p += 2;
            return;
        }

        var resumed = false;
        while (true)
        {
            if (At(_p, "#*"))
            {
                var close = _s.IndexOf("*#", _p + 2, StringComparison.Ordinal);
                _p = close < 0 ? _s.Length : close + 2;
                resumed = true;
            }
            else if (TryParseSet(out var set))
            {
                add(set!);
                resumed = true;
            }
            else
            {
                break;
            }
        }

        if (resumed && Peek() == '[')
        {
            throw Error("Unexpected '[' after a reference", _p);
        }

        SkipBraceRunt(reference, addText);

        // A '}' right after a reference is a token of its own, so blanks and a #set after it start a new
        // token and the #set swallows them.
        if (Peek() == '}')
        {
            addText("}", _p);
            _p++;
        }
    }

    /// <summary>
    /// Velocity's lexer stays in its reference state after <c>$name</c>, where '{' opens another reference:
    /// <c>$a{b}</c> and <c>$a{$b}</c> parse as a reference that prints just "{" (Velocity's "runt"), and an
    /// unclosed one is a parse error. A formal <c>${a}</c> has left that state, so '{' after it is text.
    /// </summary>
    private void SkipBraceRunt(ReferenceExpr reference, Action<string, int> addText)
    {
        var formal = reference.Literal.StartsWith("${", StringComparison.Ordinal) || reference.Literal.StartsWith("$!{", StringComparison.Ordinal);
        if (formal || Peek() != '{')
        {
            return;
        }

        var brace = _p;
        var i = _p + 1;
        var c = i < _s.Length ? _s[i] : '\0';
        if (char.IsAsciiLetter(c) || c == '_')
        {
            _p = i;
            while (_p < _s.Length && (char.IsAsciiLetterOrDigit(_s[_p]) || _s[_p] is '_' or '-'))
            {
                _p++;
            }
        }
        else if (c == '$' && TryParseReference(i, 0) is not null)
        {
            // TryParseReference moved _p past the inner reference.
        }
        else
        {
            return;
        }

        if (Peek() != '}')
        {
            throw Error("Expected '}' to close the reference opened by '{'", _p);
        }

        _p++;
        addText("{", brace);
    }

    /// <summary>
    /// <c>$#word</c>: Velocity's lexer glues the '$' to the directive, whose name then starts with '#' and is
    /// never a directive, so the whole call prints as written (its arguments are not evaluated).
    /// </summary>
    private bool TryParseDollarHash(Action<string, int> addText)
    {
        var dollar = _p;
        var word = DirectiveWordAt(dollar + 1, out var wordEnd, out _);
        if (word is null || word is "end" or "else" or "elseif" or "if" or "set" || word.StartsWith('@'))
        {
            return false;
        }

        _p = wordEnd;
        var afterWord = _p;
        SkipWs();
        if (Peek() == '(')
        {
            ParseDirectiveArgs(word);
        }
        else
        {
            _p = afterWord;
        }

        addText(_s[dollar.._p], dollar);
        return true;
    }

    /// <summary>A '$' (or '$!') that starts no reference is text, and so is what follows it.</summary>
    private string SkipFailedDollar()
    {
        var dollar = _p;
        _p++;
        var text = "$";
        if (Peek() == '!')
        {
            _p++;
            text = "$!";
        }

        if (_p >= _s.Length)
        {
            // Velocity's lexer is still inside a reference when the input ends.
            throw Error($"Lexical error: the template ends right after '{text}'", dollar);
        }

        return text;
    }

    private void ParseBackslashes(Action<string, int> addText, Action<Node> add)
    {
        var start = _p;
        var n = 0;
        while (_p + n < _s.Length && _s[_p + n] == '\\')
        {
            n++;
        }

        var next = _p + n;
        if (next < _s.Length && _s[next] == '$')
        {
            var reference = TryParseReference(next, n);
            if (reference is not null)
            {
                add(new ReferenceStatement(reference));
                AfterReference(reference, addText, add);
                return;
            }

            _p = next;
            addText(_s[start..next] + SkipFailedDollar(), start);
            return;
        }

        if (next < _s.Length && _s[next] == '#')
        {
            var word = DirectiveWordAt(next, out var wordEnd, out _);
            if (n % 2 == 1 && word is not null)
            {
                // ESCAPE_DIRECTIVE: a known directive loses half the backslashes and prints as text.
                var recognized = IsRecognizedDirective(word);
                addText(recognized ? new string('\\', n / 2) + _s[next..wordEnd] : _s[start..wordEnd], start);
                _p = wordEnd;
                return;
            }

            // Pairs of backslashes before a directive that will run print as one backslash each.
            var control = n % 2 == 0 && word is not null && (IsRecognizedDirective(word) && word != "set");
            addText(control ? new string('\\', n / 2) : _s[start..next], start);
            _p = next;
            return;
        }

        addText(_s[start..next], start);
        _p = next;
    }

    private bool IsRecognizedDirective(string word) =>
        word is "if" or "else" or "elseif" or "end" or "set" || KnownDirectives.Contains(word) || _macros.ContainsKey(word);

    /// <summary>The directive word after '#' at <paramref name="hash"/> (<c>#name</c> or <c>#{name}</c>), or null.</summary>
    private string? DirectiveWordAt(int hash, out int end, out bool bracketed)
    {
        bracketed = false;
        end = hash + 1;
        if (end < _s.Length && _s[end] == '{')
        {
            var i = end + 1;
            if (i >= _s.Length || !(char.IsAsciiLetter(_s[i]) || _s[i] == '_'))
            {
                return null;
            }

            while (i < _s.Length && IsDirectiveChar(_s[i]))
            {
                i++;
            }

            if (i >= _s.Length || _s[i] != '}')
            {
                return null;
            }

            bracketed = true;
            end = i + 1;
            return _s[(hash + 2)..i];
        }

        if (end >= _s.Length || !(char.IsAsciiLetter(_s[end]) || _s[end] is '_' or '@'))
        {
            return null;
        }

        var j = end;
        while (j < _s.Length && IsDirectiveChar(_s[j]))
        {
            j++;
        }

        end = j;
        return _s[(hash + 1)..j];
    }

    private static bool IsDirectiveChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '_' or '@';

    /// <summary>Everything that starts with '#'. Returns a terminator when the block being parsed ends here.</summary>
    private Terminator? ParseHash(Action<string, int> addText, Action<Node> add, out Node? node)
    {
        node = null;
        var hash = _p;
        if (At(hash, "#[["))
        {
            var close = _s.IndexOf("]]#", hash + 3, StringComparison.Ordinal);
            if (close < 0)
            {
                throw Error("#[[ text block is not closed by ]]#", hash);
            }

            addText(_s[(hash + 3)..close], hash);
            _p = close + 3;
            return null;
        }

        if (At(hash, "##"))
        {
            var nl = _s.IndexOfAny(['\n', '\r'], hash + 2);
            _p = nl < 0 ? _s.Length : (_s[nl] == '\r' && nl + 1 < _s.Length && _s[nl + 1] == '\n' ? nl + 2 : nl + 1);
            return null;
        }

        if (At(hash, "#*"))
        {
            // Velocity lets an unclosed comment run to the end of the template.
            var close = _s.IndexOf("*#", hash + 2, StringComparison.Ordinal);
            _p = close < 0 ? _s.Length : close + 2;
            return null;
        }

        var word = DirectiveWordAt(hash, out var wordEnd, out var bracketed);
        if (word is null && hash + 1 < _s.Length && _s[hash + 1] == '\\')
        {
            // '#' then backslashes: before a reference, '#' and the backslashes are a plain prefix (no escaping);
            // before an escape token Velocity drops the '#' (it ends its directive state without printing it).
            var n = 0;
            while (hash + 1 + n < _s.Length && _s[hash + 1 + n] == '\\')
            {
                n++;
            }

            var after = hash + 1 + n;
            if (after < _s.Length && _s[after] == '$')
            {
                var reference = TryParseReference(after, 0);
                if (reference is not null)
                {
                    addText(_s[hash..after], hash);
                    add(new ReferenceStatement(reference));
                    return null;
                }

                _p = hash;
            }
            else if (n >= 2 || (after < _s.Length && _s[after] == '#' && DirectiveWordAt(after, out _, out _) is not null))
            {
                _p = hash + 1;
                return null;
            }
        }

        if (word is null)
        {
            if (hash + 1 >= _s.Length)
            {
                throw Error("Lexical error: the template ends right after '#'", hash);
            }

            _p = hash + 1;
            addText("#", hash);
            return null;
        }

        _p = wordEnd;
        switch (word)
        {
            case "end":
                EatLineEnd();
                return Terminator.End;
            case "else":
                EatLineEnd();
                return Terminator.Else;
            case "elseif":
                return Terminator.ElseIf;
            case "if":
                node = ParseIf(hash);
                return null;
        }

        node = ParseDirective(hash, word, bracketed, addText);
        return null;
    }

    private Node ParseIf(int hash)
    {
        var conditions = new List<Expr?>();
        var blocks = new List<Node[]>();
        var condition = ParseCondition("#if");
        while (true)
        {
            conditions.Add(condition);
            blocks.Add(ParseStatements(out var term, out var termAt));
            switch (term)
            {
                case Terminator.End:
                    var (line, col) = Pos(hash);
                    return new IfNode([.. conditions], [.. blocks], line, col);
                case Terminator.Eof:
                    throw Error("#if is not closed by #end", hash);
                case Terminator.ElseIf when condition is not null:
                    condition = ParseCondition("#elseif");
                    break;
                case Terminator.Else when condition is not null:
                    condition = null;
                    break;
                default:
                    throw Error($"#{term.ToString().ToLowerInvariant()} after #else", termAt);
            }
        }
    }

    private Expr ParseCondition(string directive)
    {
        SkipWs();
        if (Peek() != '(')
        {
            throw Error($"{directive} needs a condition in parentheses", _p);
        }

        _p++;
        var condition = ParseExpression();
        ExpectDirectiveClose(directive);
        return condition;
    }

    private Node ParseDirective(int hash, string word, bool bracketed, Action<string, int> addText)
    {
        var (line, col) = Pos(hash);
        var afterWord = _p;
        SkipWs();
        var hasParens = Peek() == '(';
        if (!hasParens)
        {
            _p = afterWord;
        }

        switch (word)
        {
            case "break":
                if (hasParens)
                {
                    ParseDirectiveArgs(word);
                }

                return new BreakNode(line, col);
            case "stop":
                if (hasParens)
                {
                    ParseDirectiveArgs(word);
                }

                return new StopNode(line, col);
            case "foreach":
            {
                var args = RequireArgs(word, hash, hasParens);
                // Velocity checks the middle word's kind, not its spelling: "#foreach($i of $l)" works too.
                if (args.Count != 3 || args[0] is not ReferenceExpr { Modifiers.Length: 0 } item
                    || args[1] is not ConstantExpr { Value: string })
                {
                    throw Error("#foreach takes ($item in collection)", hash);
                }

                var body = ParseBlockBody("#foreach", hash);
                return new ForeachNode(item.Root, args[2], body, line, col);
            }

            case "define":
            {
                var args = RequireArgs(word, hash, hasParens);
                if (args.Count != 1 || args[0] is not ReferenceExpr { Modifiers.Length: 0 } target)
                {
                    throw Error("#define takes one reference, as in #define($block)", hash);
                }

                var body = ParseBlockBody("#define", hash);
                return new DefineNode(target.Root, body, line, col);
            }

            case "macro":
            {
                if (!hasParens)
                {
                    throw Error("A macro declaration requires at least a name argument", hash);
                }

                _p++;
                SkipWs();
                var nameStart = _p;
                while (_p < _s.Length && IsDirectiveChar(_s[_p]))
                {
                    _p++;
                }

                if (_p == nameStart || !(char.IsAsciiLetter(_s[nameStart]) || _s[nameStart] is '_' or '@'))
                {
                    throw Error("Invalid first arg in #macro() directive - must be a word token (no ' or \" surrounding)", nameStart);
                }

                var macroName = _s[nameStart.._p];
                var parameters = new List<string>();
                while (true)
                {
                    SkipWs();
                    if (Peek() == ',')
                    {
                        _p++;
                        SkipWs();
                    }

                    if (Peek() == ')')
                    {
                        break;
                    }

                    if (Peek() != '$' || TryParseReference(_p, 0) is not { Modifiers.Length: 0 } parameter)
                    {
                        throw Error($"#macro {macroName}: parameters must be plain references such as $name", _p);
                    }

                    parameters.Add(parameter.Root);
                }

                ExpectDirectiveClose("#macro");
                var body = ParseBlockBody("#macro", hash);
                _macros[macroName] = new MacroDefinition(macroName, [.. parameters], body);
                return new TextNode("", line, col);
            }

            case "evaluate":
            {
                var args = RequireArgs(word, hash, hasParens);
                if (args.Count != 1)
                {
                    throw Error("#evaluate takes one argument", hash);
                }

                return new EvaluateNode(args[0], _macros, line, col);
            }

            case "include" or "parse":
                RequireArgs(word, hash, hasParens);
                return new UnsupportedNode(word, line, col);
        }

        if (word.StartsWith('@'))
        {
            throw Error($"Block macro calls such as #{word} are not supported", hash);
        }

        // A macro call, or an unknown directive that prints as written when no macro has its name.
        if (!hasParens)
        {
            var literal = bracketed ? "#{" + word + "}" : "#" + word;
            return new MacroCallNode(word, [], literal, line, col);
        }

        var callArgs = ParseDirectiveArgs(word);
        if (_macros.ContainsKey(word) && callArgs.Any(a => a is ConstantExpr { Value: string } && a.Literal.Length > 0 && a.Literal[0] is not ('"' or '\'')))
        {
            throw Error($"Invalid arg in macro #{word}: a bare word is not a value", hash);
        }

        return new MacroCallNode(word, [.. callArgs], _s[hash.._p], line, col);
    }

    private List<Expr> RequireArgs(string word, int hash, bool hasParens)
    {
        if (!hasParens)
        {
            throw Error($"#{word} needs its arguments in parentheses", hash);
        }

        return ParseDirectiveArgs(word);
    }

    /// <summary>Velocity's directive argument list: <c>( arg [,] arg ... )</c>; each arg a DirectiveArg.</summary>
    private List<Expr> ParseDirectiveArgs(string word)
    {
        _p++;
        var args = new List<Expr>();
        while (true)
        {
            SkipWs();
            if (Peek() == ',' && args.Count > 0)
            {
                _p++;
                SkipWs();
            }

            if (Peek() == ')')
            {
                break;
            }

            if (_p >= _s.Length)
            {
                throw Error($"#{word}: missing ')'", _p);
            }

            args.Add(ParseDirectiveArg());
        }

        ExpectDirectiveClose("#" + word);
        return args;
    }

    private Expr ParseDirectiveArg()
    {
        var c = Peek();
        if (char.IsAsciiLetter(c) || c is '_' or '@')
        {
            if (!AtWord("true") && !AtWord("false"))
            {
                var start = _p;
                while (_p < _s.Length && IsDirectiveChar(_s[_p]))
                {
                    _p++;
                }

                var (line, col) = Pos(start);
                return new ConstantExpr(_s[start.._p], line, col) { Literal = _s[start.._p] };
            }
        }

        return ParseParameterCore();
    }

    private Node[] ParseBlockBody(string directive, int hash)
    {
        var body = ParseStatements(out var term, out var termAt);
        return term switch
        {
            Terminator.End => body,
            Terminator.Eof => throw Error($"{directive} is not closed by #end", hash),
            _ => throw Error($"#{term.ToString().ToLowerInvariant()} inside {directive}", termAt),
        };
    }

    /// <summary>A directive's ')' (Velocity's RPAREN token) also takes blanks and one newline right after it.</summary>
    private void ExpectDirectiveClose(string directive)
    {
        SkipWs();
        if (Peek() != ')')
        {
            throw Error(_p >= _s.Length ? $"{directive}: missing ')'" : $"{directive}: unexpected '{_s[_p]}', expected ')'", _p);
        }

        _p++;
        EatLineEnd();
    }

    /// <summary><c>[ \t]*</c> followed by a newline is swallowed; blanks before anything else stay.</summary>
    private void EatLineEnd()
    {
        var i = _p;
        while (i < _s.Length && _s[i] is ' ' or '\t')
        {
            i++;
        }

        if (i < _s.Length && _s[i] == '\n')
        {
            _p = i + 1;
        }
        else if (i < _s.Length && _s[i] == '\r')
        {
            _p = i + 1 < _s.Length && _s[i + 1] == '\n' ? i + 2 : i + 1;
        }
    }

    // ------------------------------------------------------------------ references

    /// <summary>
    /// Parses <c>$x</c>, <c>$!x</c>, <c>${x}</c>, <c>$!{x}</c> with <c>.prop</c>, <c>.method(args)</c>, <c>[index]</c>.
    /// Returns null, consuming nothing, when the '$' starts no reference (it is then text).
    /// </summary>
    private ReferenceExpr? TryParseReference(int dollar, int backslashes)
    {
        var i = dollar + 1;
        var quiet = false;
        var slashBang = false;
        if (i < _s.Length && _s[i] == '\\')
        {
            var j = i;
            while (j < _s.Length && _s[j] == '\\')
            {
                j++;
            }

            if (j < _s.Length && _s[j] == '!')
            {
                slashBang = true;
                i = j + 1;
            }
        }
        else if (i < _s.Length && _s[i] == '!')
        {
            quiet = true;
            i++;
        }

        var formal = i < _s.Length && _s[i] == '{';
        if (formal)
        {
            i++;
        }

        if (i >= _s.Length || !(char.IsAsciiLetter(_s[i]) || _s[i] == '_'))
        {
            return null;
        }

        var identStart = i;
        while (i < _s.Length && (char.IsAsciiLetterOrDigit(_s[i]) || _s[i] is '_' or '-'))
        {
            i++;
        }

        var root = _s[identStart..i];
        _p = i;
        var modifiers = new List<Modifier>();
        while (_p < _s.Length)
        {
            var c = _s[_p];
            if (c == '[')
            {
                var (line, col) = Pos(_p);
                _p++;
                SkipWs();
                var index = ParseIndexParameter();
                SkipWs();
                if (Peek() != ']')
                {
                    throw Error("An index needs a closing ']'", _p);
                }

                _p++;
                modifiers.Add(new IndexModifier(index, line, col));
            }
            else if (c == '.' && _p + 1 < _s.Length && char.IsAsciiLetter(_s[_p + 1]))
            {
                var nameStart = _p + 1;
                var j = nameStart;
                while (j < _s.Length && (char.IsAsciiLetterOrDigit(_s[j]) || _s[j] is '_' or '-'))
                {
                    j++;
                }

                var name = _s[nameStart..j];
                var (line, col) = Pos(nameStart);
                _p = j;
                if (Peek() == '(')
                {
                    _p++;
                    var args = new List<Expr>();
                    if (Peek() != ')')
                    {
                        args.Add(ParseParameter());
                        while (Peek() == ',')
                        {
                            _p++;
                            args.Add(ParseParameter());
                        }
                    }

                    if (Peek() != ')')
                    {
                        throw Error($"The call of '{name}' needs a closing ')' (method arguments are values or references, not expressions)", _p);
                    }

                    _p++;
                    modifiers.Add(new MethodModifier(name, [.. args], line, col));
                }
                else
                {
                    modifiers.Add(new PropertyModifier(name, line, col));
                }
            }
            else
            {
                break;
            }
        }

        if (formal)
        {
            if (Peek() != '}')
            {
                throw Error($"${{{root}... needs a closing '}}'", _p);
            }

            _p++;
        }

        var literal = _s[dollar.._p];
        var (rl, rc) = Pos(dollar);
        return new ReferenceExpr(root, [.. modifiers], rl, rc)
        {
            Literal = literal,
            Quiet = quiet,
            Escaped = backslashes % 2 == 1,
            EscapePrefix = new string('\\', backslashes / 2),
            Runt = slashBang ? RemoveOneBackslash(literal) : null,
        };
    }

    private static string RemoveOneBackslash(string literal)
    {
        var i = literal.IndexOf('\\');
        return i < 0 ? literal : literal.Remove(i, 1);
    }

    private Expr ParseIndexParameter()
    {
        var c = Peek();
        if (c is '"' or '\'')
        {
            return ParseStringLiteral();
        }

        if (c == '$')
        {
            return TryParseReference(_p, 0) ?? throw Error("Expected a reference inside [ ]", _p);
        }

        if (AtWord("true") || AtWord("false"))
        {
            return ParseParameterCore();
        }

        if (char.IsAsciiDigit(c) || (c == '-' && char.IsAsciiDigit(PeekAt(1))))
        {
            var number = ParseNumber();
            return number.Value is int or long or BigInteger ? number : throw Error("An index must be an integer, a string or a reference", number.Line, number.Column);
        }

        throw Error("An index must be an integer, a string, true/false or a reference", _p);
    }

    // ------------------------------------------------------------------ expressions

    private Expr ParseExpression() => ParseOr();

    private Expr ParseOr()
    {
        var left = ParseAnd();
        while (true)
        {
            SkipWs();
            var at = _p;
            if (Match("||") || MatchWord("or"))
            {
                var (l, c) = Pos(at);
                left = new OrExpr(left, ParseAnd(), l, c) { Literal = _s[at.._p] };
            }
            else
            {
                return left;
            }
        }
    }

    private Expr ParseAnd()
    {
        var left = ParseEquality();
        while (true)
        {
            SkipWs();
            var at = _p;
            if (Match("&&") || MatchWord("and"))
            {
                var (l, c) = Pos(at);
                left = new AndExpr(left, ParseEquality(), l, c);
            }
            else
            {
                return left;
            }
        }
    }

    private Expr ParseEquality()
    {
        var left = ParseRelational();
        while (true)
        {
            SkipWs();
            var at = _p;
            CompareOp op;
            if (Match("==") || MatchWord("eq"))
            {
                op = CompareOp.Eq;
            }
            else if (Match("!=") || MatchWord("ne"))
            {
                op = CompareOp.Ne;
            }
            else
            {
                return left;
            }

            var (l, c) = Pos(at);
            left = new CompareExpr(op, left, ParseRelational(), l, c);
        }
    }

    private Expr ParseRelational()
    {
        var left = ParseAdditive();
        while (true)
        {
            SkipWs();
            var at = _p;
            CompareOp op;
            if (Match("<=") || MatchWord("le"))
            {
                op = CompareOp.Le;
            }
            else if (Match(">=") || MatchWord("ge"))
            {
                op = CompareOp.Ge;
            }
            else if (Match("<") || MatchWord("lt"))
            {
                op = CompareOp.Lt;
            }
            else if (Match(">") || MatchWord("gt"))
            {
                op = CompareOp.Gt;
            }
            else
            {
                return left;
            }

            var (l, c) = Pos(at);
            left = new CompareExpr(op, left, ParseAdditive(), l, c);
        }
    }

    private Expr ParseAdditive()
    {
        var left = ParseMultiplicative();
        while (true)
        {
            SkipWs();
            var at = _p;
            MathOp op;
            if (Peek() == '+')
            {
                op = MathOp.Add;
            }
            else if (Peek() == '-' && !StartsNumber(_p))
            {
                // "-1" is one integer token in Velocity (longest match), so "$a -1" is not a subtraction.
                op = MathOp.Subtract;
            }
            else
            {
                return left;
            }

            _p++;
            var right = ParseMultiplicative();
            var (l, c) = Pos(at);
            left = new MathExpr(op, left, right, l, c) { Literal = _s[LiteralStart(left)..LiteralEnd()] };
        }
    }

    private Expr ParseMultiplicative()
    {
        var left = ParseUnary();
        while (true)
        {
            SkipWs();
            var at = _p;
            MathOp op;
            switch (Peek())
            {
                case '*':
                    op = MathOp.Multiply;
                    break;
                case '/':
                    op = MathOp.Divide;
                    break;
                case '%':
                    op = MathOp.Modulo;
                    break;
                default:
                    return left;
            }

            _p++;
            var right = ParseUnary();
            var (l, c) = Pos(at);
            left = new MathExpr(op, left, right, l, c);
        }
    }

    private Expr ParseUnary()
    {
        Nest();
        try
        {
            return ParseUnaryCore();
        }
        finally
        {
            _nesting--;
        }
    }

    private Expr ParseUnaryCore()
    {
        SkipWs();
        var at = _p;
        if ((Peek() == '!' && PeekAt(1) != '=') || AtWord("not"))
        {
            _p += Peek() == '!' ? 1 : 3;
            var (l, c) = Pos(at);
            return new NotExpr(ParseUnary(), l, c);
        }

        return ParsePrimary();
    }

    private Expr ParsePrimary()
    {
        SkipWs();
        Expr result;
        if (Peek() == '(')
        {
            var (l, c) = Pos(_p);
            _p++;
            var inner = ParseExpression();
            SkipWs();
            if (Peek() != ')')
            {
                throw Error("Expected ')'", _p);
            }

            _p++;
            result = new GroupExpr(inner, l, c) { Literal = inner.Literal };
        }
        else
        {
            result = ParseParameterCore();
        }

        SkipWs();
        return result;
    }

    /// <summary>Velocity's Parameter: a value or reference with optional blanks around, no operators.</summary>
    private Expr ParseParameter()
    {
        SkipWs();
        var e = ParseParameterCore();
        SkipWs();
        return e;
    }

    private Expr ParseParameterCore()
    {
        var start = _p;
        var c = Peek();
        Expr e;
        if (c is '"' or '\'')
        {
            e = ParseStringLiteral();
        }
        else if (c == '$')
        {
            e = TryParseReference(_p, 0) ?? throw Error("Expected a reference after '$'", _p);
        }
        else if (StartsNumber(_p))
        {
            e = ParseNumber();
        }
        else if (c == '[')
        {
            e = ParseListOrRange();
        }
        else if (c == '{')
        {
            e = ParseMap();
        }
        else if (MatchWord("true"))
        {
            var (l, col) = Pos(start);
            e = new ConstantExpr(true, l, col);
        }
        else if (MatchWord("false"))
        {
            var (l, col) = Pos(start);
            e = new ConstantExpr(false, l, col);
        }
        else
        {
            throw Error(_p >= _s.Length ? "Unexpected end of template inside an expression" : $"Unexpected '{_s[_p]}' in an expression", _p);
        }

        if (e.Literal.Length == 0 && e is not ReferenceExpr)
        {
            return WithLiteral(e, _s[start.._p]);
        }

        return e;
    }

    private static Expr WithLiteral(Expr e, string literal) => e switch
    {
        ConstantExpr k => new ConstantExpr(k.Value, k.Line, k.Column) { Literal = literal },
        _ => e,
    };

    private bool StartsNumber(int i)
    {
        if (i < _s.Length && _s[i] == '-')
        {
            i++;
        }

        if (i < _s.Length && char.IsAsciiDigit(_s[i]))
        {
            return true;
        }

        return i + 1 < _s.Length && _s[i] == '.' && char.IsAsciiDigit(_s[i + 1]);
    }

    private ConstantExpr ParseNumber()
    {
        var start = _p;
        var i = _p;
        if (_s[i] == '-')
        {
            i++;
        }

        var digitsStart = i;
        while (i < _s.Length && char.IsAsciiDigit(_s[i]))
        {
            i++;
        }

        var hasDigits = i > digitsStart;
        var isFloat = false;
        if (hasDigits && At(i, ".."))
        {
            // An integer followed by a range's ".." (Velocity backs up over the dots).
        }
        else if (i < _s.Length && _s[i] == '.')
        {
            isFloat = true;
            i++;
            while (i < _s.Length && char.IsAsciiDigit(_s[i]))
            {
                i++;
            }

            i = Exponent(i);
        }
        else if (hasDigits)
        {
            var e = Exponent(i);
            isFloat = e != i;
            i = e;
        }

        _p = i;
        var image = _s[start..i];
        var (l, c) = Pos(start);
        object value;
        if (isFloat)
        {
            value = double.Parse(image, NumberStyles.Float, CultureInfo.InvariantCulture);
        }
        else if (int.TryParse(image, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var iv))
        {
            value = iv;
        }
        else if (long.TryParse(image, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var lv))
        {
            value = lv;
        }
        else
        {
            value = BigInteger.Parse(image, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        }

        return new ConstantExpr(value, l, c) { Literal = image };
    }

    private int Exponent(int i)
    {
        if (i < _s.Length && _s[i] is 'e' or 'E')
        {
            var j = i + 1;
            if (j < _s.Length && _s[j] is '+' or '-')
            {
                j++;
            }

            if (j < _s.Length && char.IsAsciiDigit(_s[j]))
            {
                while (j < _s.Length && char.IsAsciiDigit(_s[j]))
                {
                    j++;
                }

                return j;
            }
        }

        return i;
    }

    private Expr ParseListOrRange()
    {
        var start = _p;
        var (l, c) = Pos(start);
        _p++;
        SkipWs();
        // A range is "[ (ref|int) .. (ref|int) ]"; anything else is a list.
        if (Peek() == '$' || StartsNumber(_p))
        {
            var save = _p;
            try
            {
                var from = RangeBound();
                SkipWs();
                if (Match(".."))
                {
                    SkipWs();
                    var to = RangeBound();
                    SkipWs();
                    if (Peek() != ']')
                    {
                        throw Error("A range needs a closing ']'", _p);
                    }

                    _p++;
                    return new RangeExpr(from, to, l, c) { Literal = _s[start.._p] };
                }
            }
            catch (VtlParseException) when (_p != save)
            {
                _p = save;
            }

            _p = save;
        }

        _p = start + 1;
        var items = new List<Expr>();
        if (Peek() != ']')
        {
            items.Add(ParseParameter());
            while (Peek() == ',')
            {
                _p++;
                items.Add(ParseParameter());
            }
        }

        if (Peek() != ']')
        {
            throw Error("A list needs a closing ']'", _p);
        }

        _p++;
        return new ListExpr([.. items], l, c) { Literal = _s[start.._p] };
    }

    private Expr RangeBound()
    {
        if (Peek() == '$')
        {
            return TryParseReference(_p, 0) ?? throw Error("Expected a reference", _p);
        }

        var n = ParseNumber();
        return n.Value is int or long or BigInteger ? n : throw Error("A range bound must be an integer or a reference", n.Line, n.Column);
    }

    private Expr ParseMap()
    {
        var start = _p;
        var (l, c) = Pos(start);
        _p++;
        var keys = new List<Expr>();
        var values = new List<Expr>();
        SkipWs();
        if (Peek() != '}')
        {
            while (true)
            {
                keys.Add(ParseParameter());
                if (Peek() != ':')
                {
                    throw Error("A map entry needs ':' between key and value", _p);
                }

                _p++;
                values.Add(ParseParameter());
                if (Peek() == ',')
                {
                    _p++;
                    continue;
                }

                break;
            }
        }

        if (Peek() != '}')
        {
            throw Error("A map needs a closing '}'", _p);
        }

        _p++;
        return new MapExpr([.. keys], [.. values], l, c) { Literal = _s[start.._p] };
    }

    private Expr ParseStringLiteral()
    {
        var start = _p;
        var quote = _s[_p];
        var i = _p + 1;
        while (true)
        {
            if (i >= _s.Length)
            {
                throw Error("A string literal is not closed", start);
            }

            if (_s[i] == quote)
            {
                if (i + 1 < _s.Length && _s[i + 1] == quote)
                {
                    i += 2;
                    continue;
                }

                break;
            }

            i++;
        }

        _p = i + 1;
        var raw = _s[(start + 1)..i];
        var image = quote == '"' ? UnescapeUnicode(raw) : raw;
        image = image.Replace(new string(quote, 2), quote.ToString(), StringComparison.Ordinal);
        var (l, c) = Pos(start);
        var literal = _s[start.._p];
        if (quote == '"' && (raw.Contains('$') || raw.Contains('#')))
        {
            var hasLineComment = image.Contains("##", StringComparison.Ordinal);
            Node[] body;
            try
            {
                body = new VtlParser(hasLineComment ? image : image + " ", _name, _macros).ParseTemplate();
            }
            catch (VtlParseException e)
            {
                throw Error("In a string literal: " + e.Reason, start);
            }

            return new InterpolatedStringExpr(body, !hasLineComment, l, c) { Literal = literal };
        }

        return new ConstantExpr(image, l, c) { Literal = literal };
    }

    private static string UnescapeUnicode(string s)
    {
        var u = s.IndexOf("\\u", StringComparison.Ordinal);
        if (u < 0)
        {
            return s;
        }

        var sb = new StringBuilder();
        var last = 0;
        while (u >= 0 && u + 6 <= s.Length && int.TryParse(s.AsSpan(u + 2, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var code))
        {
            sb.Append(s, last, u - last).Append((char)code);
            last = u + 6;
            u = s.IndexOf("\\u", last, StringComparison.Ordinal);
        }

        return sb.Append(s, last, s.Length - last).ToString();
    }

    // ------------------------------------------------------------------ helpers

    private int LiteralStart(Expr left) => Offset(left.Line, left.Column);

    private int LiteralEnd() => _p;

    private int Offset(int line, int column) => line <= 0 ? 0 : _lineStarts[line - 1] + column - 1;

    private char Peek() => _p < _s.Length ? _s[_p] : '\0';

    private char PeekAt(int ahead) => _p + ahead < _s.Length ? _s[_p + ahead] : '\0';

    private bool At(int i, string token) => string.CompareOrdinal(_s, i, token, 0, token.Length) == 0 && i + token.Length <= _s.Length;

    private bool Match(string token)
    {
        if (!At(_p, token))
        {
            return false;
        }

        _p += token.Length;
        return true;
    }

    /// <summary>A keyword token such as <c>and</c> only when no longer word follows (JavaCC's longest match).</summary>
    private bool AtWord(string word) => At(_p, word) && (_p + word.Length >= _s.Length || !IsDirectiveChar(_s[_p + word.Length]));

    private bool MatchWord(string word)
    {
        if (!AtWord(word))
        {
            return false;
        }

        _p += word.Length;
        return true;
    }

    private void SkipWs()
    {
        while (_p < _s.Length && _s[_p] is ' ' or '\t' or '\n' or '\r')
        {
            _p++;
        }
    }

    private (int Line, int Column) Pos(int offset)
    {
        var index = _lineStarts.BinarySearch(offset);
        if (index < 0)
        {
            index = ~index - 1;
        }

        return (index + 1, offset - _lineStarts[index] + 1);
    }

    private VtlParseException Error(string message, int offset)
    {
        var (line, col) = Pos(Math.Min(offset, _s.Length));
        return new VtlParseException(message, _name, line, col);
    }

    private VtlParseException Error(string message, int line, int column) => new(message, _name, line, column);
}
