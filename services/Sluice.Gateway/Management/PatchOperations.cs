using System.Text.Json.Nodes;

namespace Sluice.Gateway.Management;

/// <summary>
/// One entry of patchOperations: op (add, remove, replace, ...), path, value, and the supported
/// entry it matched (<see cref="Template"/>, e.g. "replace /variables/{name}").
/// </summary>
internal sealed record PatchOperation(string Op, string Path, string? Value, string Template)
{
    /// <summary>The value, required for this op and path.</summary>
    public string RequiredValue => Value ?? throw ManagementError.BadRequest($"Patch operation {Op} {Path} needs a value.");

    /// <summary>
    /// Reads patchOperations (at most 100). Every operation is checked against <paramref name="supported"/>
    /// ("replace /name", ...; a "{...}" segment matches any one non-empty segment) before any is
    /// applied, so a refused list changes nothing.
    /// </summary>
    public static IReadOnlyList<PatchOperation> Read(ManagementRequest request, IReadOnlyCollection<string> supported)
    {
        request.Supports("patchOperations");
        if (request.Json["patchOperations"] is not JsonArray array)
        {
            throw request.Json["patchOperations"] is null
                ? ManagementError.BadRequest("patchOperations is required.")
                : ManagementRequest.Invalid("patchOperations", "a list of {op, path, value}");
        }
        if (array.Count > 100)
        {
            throw ManagementError.BadRequest($"At most 100 patch operations are accepted, not {array.Count}.");
        }
        var operations = new List<PatchOperation>();
        foreach (var item in array)
        {
            if (item is not JsonObject entry)
            {
                throw ManagementRequest.Invalid("patchOperations", "a list of {op, path, value}");
            }
            var op = Text(entry, "op") ?? throw ManagementError.BadRequest("Each patch operation needs an op.");
            var path = Text(entry, "path") ?? throw ManagementError.BadRequest("Each patch operation needs a path.");
            var template = supported.FirstOrDefault(s => Matches(s, op + " " + path))
                ?? throw ManagementError.BadRequest($"Invalid patch path '{path}' specified for op '{op}'. Must be one of: [{string.Join(", ", supported)}]");
            operations.Add(new PatchOperation(op, path, Text(entry, "value"), template));
        }
        return operations;
    }

    private static bool Matches(string template, string operation)
    {
        var expected = template.Split('/');
        var actual = operation.Split('/');
        if (expected.Length != actual.Length)
        {
            return false;
        }
        for (var i = 0; i < expected.Length; i++)
        {
            var placeholder = expected[i].StartsWith('{') && expected[i].EndsWith('}');
            if (placeholder ? actual[i].Length == 0 : !string.Equals(expected[i], actual[i], StringComparison.Ordinal))
            {
                return false;
            }
        }
        return true;
    }

    private static string? Text(JsonObject entry, string name) => entry[name] switch
    {
        null => null,
        JsonValue value when value.TryGetValue<string>(out var text) => text,
        _ => throw ManagementRequest.Invalid("patchOperations." + name, "a string"),
    };
}
