using System.Text;

namespace Sluice.DataQuality.Parsing;

internal enum TokenKind
{
    Identifier,
    String,
    Number,
    Variable,
    LeftBracket,
    RightBracket,
    LeftParen,
    RightParen,
    Comma,
    Equal,
    NotEqual,
    Greater,
    GreaterOrEqual,
    Less,
    LessOrEqual,
    Minus,
    Plus,
    Star,
    Slash,
    End,
}

/// <summary>A token with its source span; <see cref="Text"/> is the unescaped content for strings.</summary>
internal readonly record struct Token(TokenKind Kind, string Text, int Start, int End, int Line, int Column)
{
    public bool IsIdentifier(string word) => Kind == TokenKind.Identifier && Text == word;
}

/// <summary>
/// Splits DQDL text into tokens. Comments run from <c>#</c> (or <c>//</c>) to the end of the line
/// (DQDL reference, Comments). Strings are double-quoted with <c>\"</c> and <c>\\</c> escapes, as in the
/// reference grammar (awslabs/dqdl CommonLexerRules.g4).
/// </summary>
internal static class DqdlLexer
{
    public static List<Token> Tokenize(string text)
    {
        var tokens = new List<Token>();
        var index = 0;
        var line = 1;
        var lineStart = 0;
        while (true)
        {
            SkipTrivia(text, ref index, ref line, ref lineStart);
            var column = index - lineStart + 1;
            if (index >= text.Length)
            {
                tokens.Add(new Token(TokenKind.End, "", index, index, line, column));
                return tokens;
            }

            var start = index;
            var c = text[index];
            switch (c)
            {
                case '[': tokens.Add(Single(TokenKind.LeftBracket)); continue;
                case ']': tokens.Add(Single(TokenKind.RightBracket)); continue;
                case '(': tokens.Add(Single(TokenKind.LeftParen)); continue;
                case ')': tokens.Add(Single(TokenKind.RightParen)); continue;
                case ',': tokens.Add(Single(TokenKind.Comma)); continue;
                case '-': tokens.Add(Single(TokenKind.Minus)); continue;
                case '+': tokens.Add(Single(TokenKind.Plus)); continue;
                // Arithmetic of dynamic rules: `avg(last(10)) * 0.9`.
                case '*': tokens.Add(Single(TokenKind.Star)); continue;
                case '/': tokens.Add(Single(TokenKind.Slash)); continue;
                case '=':
                    // "==" is accepted as a synonym some authors write; the reference grammar has only "=".
                    tokens.Add(Single(TokenKind.Equal));
                    continue;
                case '!':
                    if (Peek(text, index + 1) == '=')
                    {
                        index += 2;
                        tokens.Add(new Token(TokenKind.NotEqual, "!=", start, index, line, column));
                        continue;
                    }
                    throw new DqdlParseException("Unexpected character '!'; did you mean '!='?", line, column);
                case '>':
                case '<':
                    if (Peek(text, index + 1) == '=')
                    {
                        index += 2;
                        tokens.Add(new Token(c == '>' ? TokenKind.GreaterOrEqual : TokenKind.LessOrEqual, text[start..index], start, index, line, column));
                    }
                    else
                    {
                        tokens.Add(Single(c == '>' ? TokenKind.Greater : TokenKind.Less));
                    }
                    continue;
                case '"':
                    tokens.Add(ReadString(text, ref index, ref line, ref lineStart, column));
                    continue;
                case '$':
                    index++;
                    var nameStart = index;
                    while (index < text.Length && IsIdentifierPart(text[index]))
                    {
                        index++;
                    }
                    if (index == nameStart)
                    {
                        throw new DqdlParseException("Expected a constant name after '$'", line, column);
                    }
                    tokens.Add(new Token(TokenKind.Variable, text[nameStart..index], start, index, line, column));
                    continue;
            }

            if (char.IsAsciiDigit(c) || (c == '.' && char.IsAsciiDigit(Peek(text, index + 1))))
            {
                while (index < text.Length && char.IsAsciiDigit(text[index]))
                {
                    index++;
                }
                if (Peek(text, index) == '.' && char.IsAsciiDigit(Peek(text, index + 1)))
                {
                    index++;
                    while (index < text.Length && char.IsAsciiDigit(text[index]))
                    {
                        index++;
                    }
                }
                tokens.Add(new Token(TokenKind.Number, text[start..index], start, index, line, column));
                continue;
            }

            if (IsIdentifierStart(c))
            {
                while (index < text.Length && IsIdentifierPart(text[index]))
                {
                    index++;
                }
                tokens.Add(new Token(TokenKind.Identifier, text[start..index], start, index, line, column));
                continue;
            }

            throw new DqdlParseException($"Unexpected character '{c}'", line, column);

            Token Single(TokenKind kind)
            {
                index++;
                return new Token(kind, text[start..index], start, index, line, column);
            }
        }
    }

    private static char Peek(string text, int index) => index < text.Length ? text[index] : '\0';

    private static bool IsIdentifierStart(char c) => char.IsAsciiLetter(c) || c == '_';

    private static bool IsIdentifierPart(char c) => char.IsAsciiLetterOrDigit(c) || c == '_' || c == '.';

    private static void SkipTrivia(string text, ref int index, ref int line, ref int lineStart)
    {
        while (index < text.Length)
        {
            var c = text[index];
            if (c == '\n')
            {
                index++;
                line++;
                lineStart = index;
            }
            else if (char.IsWhiteSpace(c))
            {
                index++;
            }
            else if (c == '#' || (c == '/' && Peek(text, index + 1) == '/'))
            {
                while (index < text.Length && text[index] != '\n')
                {
                    index++;
                }
            }
            else
            {
                return;
            }
        }
    }

    private static Token ReadString(string text, ref int index, ref int line, ref int lineStart, int column)
    {
        var start = index;
        var startLine = line;
        index++;
        StringBuilder? builder = null;
        var segmentStart = index;
        while (index < text.Length)
        {
            var c = text[index];
            if (c == '"')
            {
                var value = builder is null
                    ? text[segmentStart..index]
                    : builder.Append(text, segmentStart, index - segmentStart).ToString();
                index++;
                return new Token(TokenKind.String, value, start, index, startLine, column);
            }
            if (c == '\\' && (Peek(text, index + 1) == '"' || Peek(text, index + 1) == '\\'))
            {
                builder ??= new StringBuilder();
                builder.Append(text, segmentStart, index - segmentStart).Append(text[index + 1]);
                index += 2;
                segmentStart = index;
                continue;
            }
            if (c == '\n')
            {
                line++;
                lineStart = index + 1;
            }
            index++;
        }
        throw new DqdlParseException("Unterminated string: missing closing '\"'", startLine, column);
    }
}
