using System.Text.Json;
using System.Text.RegularExpressions;
using Sluice.DataQuality.Parsing;
using Sluice.JsonSchema;
using Sluice.Validation.Schemas;
using DqdlRuleset = Sluice.DataQuality.Model.Ruleset;

namespace Sluice.Validation.Grpc;

/// <summary>Checks of request fields; each problem is added to the request's <see cref="FieldViolations"/>.</summary>
internal static partial class RequestChecks
{
    /// <summary>Schema names and source names: safe in object keys, URLs and file names alike.</summary>
    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();

    public static void Name(FieldViolations violations, string field, string value, string what)
    {
        if (value.Length == 0)
        {
            violations.Add(field, $"A {what} is required.");
        }
        else if (!NamePattern().IsMatch(value))
        {
            violations.Add(field, $"'{Shorten(value)}' is not a valid {what}: 1 to 128 characters, letters, digits, '.', '_' or '-', starting with a letter or digit.");
        }
    }

    public static void Version(FieldViolations violations, string field, int version)
    {
        if (version < 0)
        {
            violations.Add(field, $"{version} is not a version: use 0 for the latest, or a version number from 1.");
        }
    }

    /// <summary>True when the text is present and within <paramref name="maxLength"/> characters.</summary>
    public static bool Text(FieldViolations violations, string field, string value, int maxLength)
    {
        if (value.Length == 0)
        {
            violations.Add(field, "The text is empty.");
            return false;
        }
        if (value.Length > maxLength)
        {
            violations.Add(field, $"The text has {value.Length} characters; at most {maxLength} are accepted.");
            return false;
        }
        return true;
    }

    /// <summary>The compiled schema, or null (with a violation naming the schema location) when it does not compile.</summary>
    public static CompiledSchema? Schema(FieldViolations violations, string field, string schemaJson, int maxLength)
    {
        if (!Text(violations, field, schemaJson, maxLength))
        {
            return null;
        }
        try
        {
            return SchemaRegistry.Compile(schemaJson);
        }
        catch (JsonSchemaException exception)
        {
            violations.Add(field, $"Invalid schema at '{exception.SchemaLocation}': {exception.Problem}");
            return null;
        }
    }

    /// <summary>The parsed ruleset, or null (with a violation giving line and column) when it does not parse.</summary>
    public static DqdlRuleset? Ruleset(FieldViolations violations, string field, string rulesetText, int maxLength)
    {
        if (!Text(violations, field, rulesetText, maxLength))
        {
            return null;
        }
        try
        {
            return DqdlParser.Parse(rulesetText);
        }
        catch (DqdlParseException exception)
        {
            violations.Add(field, $"DQDL error at line {exception.Line}, column {exception.Column}: {exception.Reason}");
            return null;
        }
    }

    /// <summary>The parsed document, or null (with a violation) when it is not JSON or nests deeper than <paramref name="maxDepth"/>.</summary>
    public static JsonDocument? Json(FieldViolations violations, string field, string json, int maxLength, int maxDepth)
    {
        if (!Text(violations, field, json, maxLength))
        {
            return null;
        }
        try
        {
            return JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = maxDepth });
        }
        catch (JsonException exception)
        {
            violations.Add(field, $"Not valid JSON: {exception.Message}");
            return null;
        }
    }

    private static string Shorten(string value) => value.Length <= 64 ? value : value[..64] + "...";
}
