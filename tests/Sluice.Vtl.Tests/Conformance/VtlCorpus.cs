using System.Text.Json;

namespace Sluice.Vtl.Tests.Conformance;

/// <summary>One differential case: a template and the variables it is rendered with.</summary>
public sealed record VtlCase(string File, string Name, string InputJson, string Template)
{
    public override string ToString() => Name;
}

/// <summary>
/// Reads tests/conformance/vtl/cases/*.vtlcases, the same files the Java reference runner reads
/// (format described in VelocityRunner.java), and turns JSON inputs into the values a template sees.
/// </summary>
public static class VtlCorpus
{
    public static string Directory { get; } = Find();

    public static string CasesDirectory => Path.Combine(Directory, "cases");

    private static readonly Lazy<IReadOnlyList<VtlCase>> LazyCases = new(Load);

    public static IReadOnlyList<VtlCase> Cases => LazyCases.Value;

    public static VtlCase Get(string name) => Cases.Single(c => c.Name == name);

    private static string Find()
    {
        for (DirectoryInfo? d = new(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            var candidate = Path.Combine(d.FullName, "tests", "conformance", "vtl");
            if (System.IO.Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException($"tests/conformance/vtl not found above {AppContext.BaseDirectory}.");
    }

    private static IReadOnlyList<VtlCase> Load()
    {
        var cases = new List<VtlCase>();
        foreach (var file in System.IO.Directory.GetFiles(CasesDirectory, "*.vtlcases").Order(StringComparer.Ordinal))
        {
            var content = File.ReadAllText(file);
            if (content.EndsWith('\n'))
            {
                content = content[..^1];
            }

            string? name = null;
            string? section = null;
            var input = new List<string>();
            var template = new List<string>();
            void Finish()
            {
                if (name is null)
                {
                    return;
                }

                var t = string.Concat(template.Select(l => l + "\n"));
                if (t.EndsWith('\n'))
                {
                    t = t[..^1];
                }

                var i = string.Join("\n", input).Trim();
                cases.Add(new VtlCase(Path.GetFileName(file), name, i.Length == 0 ? "{}" : i, t));
            }

            foreach (var line in content.Split('\n'))
            {
                if (line.StartsWith("=== ", StringComparison.Ordinal))
                {
                    Finish();
                    name = line[4..].Trim();
                    section = null;
                    input.Clear();
                    template.Clear();
                }
                else if (name is not null && section is null && line == "--- input")
                {
                    section = "input";
                }
                else if (name is not null && section != "template" && line == "--- template")
                {
                    section = "template";
                }
                else if (section == "input")
                {
                    input.Add(line);
                }
                else if (section == "template")
                {
                    template.Add(line);
                }
            }

            Finish();
        }

        var duplicates = cases.GroupBy(c => c.Name).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        if (duplicates.Count > 0)
        {
            throw new InvalidOperationException("Duplicate VTL case names: " + string.Join(", ", duplicates));
        }

        return cases;
    }

    /// <summary>JSON to template values as the Java runner builds them: ordered maps, lists, Integer/Long/BigInteger, Double.</summary>
    public static Dictionary<string, object?> Variables(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return (Dictionary<string, object?>)Convert(doc.RootElement)!;
    }

    public static object? Convert(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object => e.EnumerateObject().Aggregate(new Dictionary<string, object?>(), (d, p) =>
        {
            d[p.Name] = Convert(p.Value);
            return d;
        }),
        JsonValueKind.Array => e.EnumerateArray().Select(Convert).ToList(),
        JsonValueKind.String => e.GetString(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.Null => null,
        _ => Number(e),
    };

    private static object Number(JsonElement e)
    {
        var raw = e.GetRawText();
        if (raw.Contains('.') || raw.Contains('e') || raw.Contains('E'))
        {
            return e.GetDouble();
        }

        if (e.TryGetInt32(out var i))
        {
            return i;
        }

        if (e.TryGetInt64(out var l))
        {
            return l;
        }

        return System.Numerics.BigInteger.Parse(raw, System.Globalization.CultureInfo.InvariantCulture);
    }
}
