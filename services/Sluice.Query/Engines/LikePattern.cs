using System.Text;
using System.Text.RegularExpressions;

namespace Sluice.Query.Engines;

/// <summary>SQL LIKE matching (% any run, _ one character), as the Data API's schema and table patterns use.</summary>
internal static class LikePattern
{
    /// <summary>True when <paramref name="pattern"/> is empty (matches all) or matches <paramref name="value"/>.</summary>
    public static bool Matches(string? pattern, string value)
    {
        if (string.IsNullOrEmpty(pattern))
        {
            return true;
        }
        var regex = new StringBuilder("^");
        foreach (var c in pattern)
        {
            regex.Append(c switch
            {
                '%' => ".*",
                '_' => ".",
                _ => Regex.Escape(c.ToString()),
            });
        }
        regex.Append('$');
        return Regex.IsMatch(value, regex.ToString(), RegexOptions.Singleline | RegexOptions.CultureInvariant);
    }
}
