using System.Text;
using System.Text.RegularExpressions;
using Sluice.DataQuality.Metrics;

namespace Sluice.DataQuality.Tests;

/// <summary>The UTF-8 DFA must answer exactly as .NET's regex on <c>\A(?:pattern)\z</c>, or decline.</summary>
public class Utf8PatternMatcherTests
{
    public static TheoryData<string> SupportedPatterns =>
    [
        @"[a-z0-9._]+@[a-z0-9.-]+\.[a-z]+",
        @"[^@]+@[^@]+",
        @"^[A-Z]{2}$",
        @"\d{3}-\d{4}",
        @"(ab|a)*b?",
        @"(?:x|yz){2,3}q*?",
        @"a.c",
        @"\w+\s\W?",
        @"[\-.a]+\$",
        @"(a*)*b",
        @"colou?r|gr[ae]y",
        @"[^a-z]*",
        @"",
        @"a{0}b{1,}c{2}",
        @"\.\*\+\?\(\)\[\]\{\}\|\\",
        @"[a-]x[-b]",
        @".{2,5}",
    ];

    private static readonly string[] Inputs =
    [
        "", "a", "b", "ab", "abab", "aab", "abb", "ana.123@example.com", "inès.4@example.com", "x@y", "@", "a@b@c",
        "US", "us", "USA", "U", "555-1234", "5551234", "٣٣٣-٤٤٤٤", "color", "colour", "grey", "gray", "graey",
        "abc", "a\nc", "a€c", "a😀c", "a😀", "xyz", "xyzyzq", "xyzx", "word \t", "wörd !", "a-.a$", "-", "$",
        "ABC123", "12", "..", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaab", "ab\n", "US\n", "\u00e9\u00e9", "😀😀😀",
        ".*+?()[]{}|\\", "ax-", "-xb", "a{0}bc{,",
    ];

    [Theory]
    [MemberData(nameof(SupportedPatterns))]
    public void Match_SupportedPattern_AgreesWithDotNetRegexOrDeclines(string pattern)
    {
        var regex = new Regex($"\\A(?:{pattern})\\z", RegexOptions.CultureInvariant);
        var matcher = Utf8PatternMatcher.TryCreate(pattern);
        Assert.NotNull(matcher);

        var answered = 0;
        foreach (var input in Inputs)
        {
            var fast = matcher.Match(Encoding.UTF8.GetBytes(input));
            if (fast is { } matched)
            {
                answered++;
                Assert.True(regex.IsMatch(input) == matched, $"pattern {pattern} on \"{input}\": DFA said {matched}");
            }
        }
        // Only values with non-ASCII text under \d \w \s patterns may be left to .NET's regex.
        Assert.True(answered >= Inputs.Count(input => Ascii.IsValid(input)));
    }

    [Fact]
    public void Match_RandomPatternsAndInputs_AgreeWithDotNetRegex()
    {
        var random = new Random(11);
        string[] pieces = ["a", "b", ".", "[ab]", "[^a]", "(a|b)", "(?:ab)", "\\.", "\\d", "c?", "a*", "b+", "[a-c]{1,2}", "(a|)", "€"];
        var alphabet = "ab.c1€😀\n";
        var checkedPairs = 0;
        for (var p = 0; p < 300; p++)
        {
            var pattern = string.Concat(Enumerable.Range(0, random.Next(1, 5)).Select(_ => pieces[random.Next(pieces.Length)]));
            var regex = new Regex($"\\A(?:{pattern})\\z", RegexOptions.CultureInvariant);
            var matcher = Utf8PatternMatcher.TryCreate(pattern);
            if (matcher is null)
            {
                continue;
            }
            for (var i = 0; i < 40; i++)
            {
                var input = new StringBuilder();
                for (var length = random.Next(0, 7); length > 0; length--)
                {
                    var index = random.Next(alphabet.Length);
                    input.Append(char.IsSurrogate(alphabet[index]) ? "😀" : alphabet[index].ToString());
                }
                var text = input.ToString();
                if (matcher.Match(Encoding.UTF8.GetBytes(text)) is { } matched)
                {
                    checkedPairs++;
                    Assert.True(regex.IsMatch(text) == matched, $"pattern {pattern} on \"{text}\": DFA said {matched}");
                }
            }
        }
        Assert.True(checkedPairs > 5000, $"only {checkedPairs} pairs were decided by the DFA");
    }

    [Theory]
    [InlineData(@"(?i)abc")]
    [InlineData(@"a(?=b)")]
    [InlineData(@"(a)\1")]
    [InlineData(@"\bword\b")]
    [InlineData(@"a^b")]
    [InlineData(@"a$b")]
    [InlineData(@"\p{L}+")]
    [InlineData(@"é+")]
    [InlineData(@"(?<name>a)")]
    [InlineData(@"[a-z-[aeiou]]")]
    [InlineData(@"a{2")]
    public void TryCreate_FeatureOutsideTheModelledSubset_ReturnsNull(string pattern)
    {
        Assert.Null(Utf8PatternMatcher.TryCreate(pattern));
    }

    [Fact]
    public void Match_InvalidUtf8_LeavesTheAnswerToDotNetRegex()
    {
        var matcher = Utf8PatternMatcher.TryCreate("[^@]+")!;

        Assert.Null(matcher.Match([(byte)'a', 0xFF, (byte)'b']));
    }

    [Theory]
    [InlineData("\\w+", 4)]          // \w knows Unicode letters: non-ASCII values go to .NET's regex
    [InlineData("(?i)[a-z]+", 1)]    // outside the modelled subset: .NET's regex for every value
    [InlineData("[^0-9]+", 4)]       // non-ASCII values matched on the DFA as "other" code units
    public async Task ColumnValuesMatches_NonAsciiValues_CountAsDotNetRegexDoes(string pattern, int expectedMatches)
    {
        string[] values = ["naïve", "ABC", "日本", "12", "a-b"];
        var rows = values.Select(v => $$"""{"x":"{{v}}"}""").ToArray();

        var result = await Dq.EvaluateRuleAsync($"ColumnValues \"x\" matches \"{pattern}\" with threshold > 0", rows);

        Assert.Equal(expectedMatches, values.Count(v => Regex.IsMatch(v, $"\\A(?:{pattern})\\z")));
        Assert.Equal(expectedMatches / 5.0, result.Metrics["Column.x.ColumnValues.Compliance"]);
    }
}
