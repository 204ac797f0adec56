using System.Text;
using System.Text.RegularExpressions;

namespace Sluice.Query.Engines.DuckDb;

/// <summary>Turns DuckDB's error text into the engine-neutral form Sluice reports (Redshift's "ERROR: ..." form).</summary>
internal static partial class DuckDbErrors
{
    public static string Describe(string message)
    {
        var text = new StringBuilder("ERROR: ");
        var first = true;
        foreach (var rawLine in message.Split('\n'))
        {
            var line = rawLine.TrimEnd();
            // "LINE 1: SELECT ..." and the caret line under it echo the caller's own SQL.
            if (line.StartsWith("LINE ", StringComparison.Ordinal))
            {
                break;
            }
            if (line.Length == 0)
            {
                continue;
            }
            if (first)
            {
                line = KindPrefix().Replace(line, "");
                first = false;
            }
            else
            {
                text.Append(' ');
            }
            text.Append(line);
        }
        return text.ToString();
    }

    // "Catalog Error: ", "Binder Error: ", "Parser Error: ", "Conversion Error: ", ... DuckDB's
    // error classes, which say which part of DuckDB noticed rather than what is wrong.
    [GeneratedRegex("^[A-Z][A-Za-z ]{0,40} Error: ")]
    private static partial Regex KindPrefix();
}
