using System.Text.Json;

namespace Sluice.JsonSchema.Tests;

/// <summary>
/// The official JSON-Schema-Test-Suite (draft 4), kept in the repository under
/// tests/conformance/json-schema-test-suite, with its remotes served from a registry under
/// http://localhost:1234/ as the suite expects (no network).
/// </summary>
internal static class TestSuite
{
    public const string RemoteBase = "http://localhost:1234/";

    private static readonly Lazy<string> SuiteDirectory = new(FindSuiteDirectory);
    private static readonly Lazy<JsonSchemaRegistry> RemoteRegistry = new(LoadRemotes);
    private static readonly Lazy<IReadOnlyDictionary<string, SuiteCase>> AllCases = new(LoadCases);

    public static string Draft4Directory => Path.Combine(SuiteDirectory.Value, "tests", "draft4");

    public static JsonSchemaRegistry Remotes => RemoteRegistry.Value;

    public static IReadOnlyDictionary<string, SuiteCase> Cases => AllCases.Value;

    private static string FindSuiteDirectory()
    {
        for (DirectoryInfo? directory = new(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            string candidate = Path.Combine(directory.FullName, "tests", "conformance", "json-schema-test-suite");
            if (File.Exists(Path.Combine(directory.FullName, "Services.sln")) && Directory.Exists(candidate))
            {
                return Path.GetFullPath(candidate);
            }
        }

        throw new DirectoryNotFoundException(
            $"JSON-Schema-Test-Suite not found: expected tests/conformance/json-schema-test-suite in the repository above {AppContext.BaseDirectory}.");
    }

    private static JsonSchemaRegistry LoadRemotes()
    {
        var registry = new JsonSchemaRegistry();
        string remotes = Path.Combine(SuiteDirectory.Value, "remotes");
        foreach (string file in Directory.EnumerateFiles(remotes, "*.json", SearchOption.AllDirectories))
        {
            string relative = Path.GetRelativePath(remotes, file).Replace(Path.DirectorySeparatorChar, '/');
            registry.Register(new Uri(RemoteBase + relative), File.ReadAllText(file));
        }

        return registry;
    }

    private static IReadOnlyDictionary<string, SuiteCase> LoadCases()
    {
        var cases = new Dictionary<string, SuiteCase>(StringComparer.Ordinal);
        foreach (string file in Directory.EnumerateFiles(Draft4Directory, "*.json", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            string relative = Path.GetRelativePath(Draft4Directory, file).Replace(Path.DirectorySeparatorChar, '/');
            bool optional = relative.StartsWith("optional/", StringComparison.Ordinal);
            using JsonDocument document = JsonDocument.Parse(File.ReadAllText(file));
            int groupIndex = 0;
            foreach (JsonElement group in document.RootElement.EnumerateArray())
            {
                var schemaGroup = new SchemaGroup(group.GetProperty("schema").Clone());
                foreach (JsonElement test in group.GetProperty("tests").EnumerateArray())
                {
                    string name = $"{relative} / {group.GetProperty("description").GetString()} / {test.GetProperty("description").GetString()}";
                    if (cases.ContainsKey(name))
                    {
                        name += $" (group {groupIndex})";
                    }

                    cases.Add(name, new SuiteCase(name, optional, schemaGroup, test.GetProperty("data").Clone(), test.GetProperty("valid").GetBoolean()));
                }

                groupIndex++;
            }
        }

        return cases;
    }
}

/// <summary>One schema of the suite, compiled on first use and shared by its test cases.</summary>
internal sealed class SchemaGroup(JsonElement schema)
{
    private readonly Lazy<CompiledSchema> _compiled = new(() =>
        JsonSchema.Compile(schema, new JsonSchemaOptions { Registry = TestSuite.Remotes }));

    public CompiledSchema Compiled => _compiled.Value;
}

/// <summary>One test case: an instance and whether the suite says it is valid.</summary>
internal sealed record SuiteCase(string Name, bool Optional, SchemaGroup Group, JsonElement Data, bool Valid);
