using System.Text;
using System.Text.Json;
using Sluice.JsonSchema.Validation;
using Sluice.JsonSchema.Validation.Keywords;

namespace Sluice.JsonSchema.Compilation;

/// <summary>
/// Turns a draft-4 schema into a graph of <see cref="SchemaNode"/>s, once. Walks every subschema
/// in keyword positions (tracking the base URI that <c>id</c> changes), checks each keyword value
/// against what the draft-04 meta-schema allows, then resolves the <c>$ref</c>s collected on the
/// way (loading registered documents on demand), and finally lets pure-reference nodes forward to
/// their targets so validation pays nothing for a <c>$ref</c>.
/// </summary>
internal sealed class SchemaCompiler
{
    // Subschema nesting the compiler follows before calling the schema unreasonable; bounds recursion.
    private const int MaxSchemaNesting = 256;

    private readonly JsonSchemaOptions _options;
    private readonly Dictionary<string, SchemaDocument> _documents = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (SchemaDocument Document, string Pointer)> _identifiers = new(StringComparer.Ordinal);
    private readonly Dictionary<(SchemaDocument Document, string Pointer), (SchemaNode Node, Uri BaseUri)> _nodes = [];
    private readonly Queue<PendingReference> _pendingReferences = new();
    private readonly Dictionary<SchemaNode, RefKeyword> _referenceNodes = [];

    public SchemaCompiler(JsonSchemaOptions options)
    {
        _options = options;
    }

    public SchemaNode CompileRoot(JsonElement schema)
    {
        Uri baseUri = _options.BaseUri ?? new Uri($"https://anonymous.sluice.invalid/{Guid.NewGuid():N}/schema.json");
        string displayUri = _options.BaseUri is null ? "" : UriKeys.DocumentKey(baseUri);
        if (schema.ValueKind == JsonValueKind.Object && !schema.TryGetProperty("$ref", out _)
            && schema.TryGetProperty("id", out JsonElement id) && id.ValueKind == JsonValueKind.String
            && (_options.BaseUri is not null || Uri.TryCreate(id.GetString(), UriKind.Absolute, out _))
            && Uri.TryCreate(baseUri, id.GetString(), out Uri? identified))
        {
            // A root id names the document in error locations (unless it is relative to a private base).
            displayUri = UriKeys.DocumentKey(identified);
        }

        var document = new SchemaDocument(schema.Clone(), UriKeys.DocumentKey(baseUri), displayUri);
        _documents[document.Key] = document;
        _identifiers[document.Key] = (document, "");
        SchemaNode root = CompileNode(document, document.Root, "", baseUri, 0);
        ResolveReferences();
        ForwardReferenceNodes();
        return root;
    }

    private SchemaNode CompileNode(SchemaDocument document, JsonElement schema, string pointer, Uri baseUri, int nesting)
    {
        if (_nodes.TryGetValue((document, pointer), out (SchemaNode Node, Uri BaseUri) existing))
        {
            return existing.Node;
        }

        string location = document.Location(pointer);
        if (schema.ValueKind != JsonValueKind.Object)
        {
            throw new JsonSchemaException(location, $"a draft-4 schema must be a JSON object, found {Describe(schema)}");
        }

        if (nesting > MaxSchemaNesting)
        {
            throw new JsonSchemaException(location, $"subschemas nest deeper than {MaxSchemaNesting} levels");
        }

        var node = new SchemaNode(location);
        if (schema.TryGetProperty("$ref", out JsonElement reference))
        {
            // Draft 4: a schema with $ref is only that reference; siblings (id included) are ignored.
            string referenceLocation = document.Location(JsonPointer.Append(pointer, "$ref"));
            if (reference.ValueKind != JsonValueKind.String)
            {
                throw new JsonSchemaException(referenceLocation, $"$ref must be a string, found {Describe(reference)}");
            }

            var keyword = new RefKeyword(reference.GetString()!, referenceLocation);
            _nodes[(document, pointer)] = (node, baseUri);
            node.SetKeywords([keyword]);
            _referenceNodes[node] = keyword;
            _pendingReferences.Enqueue(new PendingReference(keyword, baseUri));
            return node;
        }

        if (schema.TryGetProperty("id", out JsonElement id))
        {
            baseUri = RegisterIdentifier(document, pointer, id, baseUri);
        }

        _nodes[(document, pointer)] = (node, baseUri);
        var builder = new KeywordBuilder(this, document, pointer, baseUri, nesting);
        node.SetKeywords(builder.Build(schema));
        return node;
    }

    private Uri RegisterIdentifier(SchemaDocument document, string pointer, JsonElement id, Uri baseUri)
    {
        string location = document.Location(JsonPointer.Append(pointer, "id"));
        if (id.ValueKind != JsonValueKind.String)
        {
            throw new JsonSchemaException(location, $"id must be a string, found {Describe(id)}");
        }

        (Uri resolved, string? fragment) = ResolveUri(baseUri, id.GetString()!, location, "id");
        string documentKey = UriKeys.DocumentKey(resolved);
        string identifier = string.IsNullOrEmpty(fragment) ? documentKey : documentKey + "#" + fragment;
        _identifiers.TryAdd(identifier, (document, pointer));
        return resolved;
    }

    /// <summary>Splits off the fragment as written (so JSON Pointer escapes survive) and resolves the rest.</summary>
    private static (Uri Resolved, string? Fragment) ResolveUri(Uri baseUri, string reference, string location, string keyword)
    {
        int hash = reference.IndexOf('#');
        string uriPart = hash < 0 ? reference : reference[..hash];
        string? fragment = hash < 0 ? null : reference[(hash + 1)..];
        if (uriPart.Length == 0)
        {
            return (new Uri(UriKeys.DocumentKey(baseUri)), fragment);
        }

        if (!Uri.TryCreate(baseUri, uriPart, out Uri? resolved))
        {
            throw new JsonSchemaException(location, $"{keyword} '{reference}' is not a valid URI reference");
        }

        return (new Uri(UriKeys.DocumentKey(resolved)), fragment);
    }

    private void ResolveReferences()
    {
        while (_pendingReferences.TryDequeue(out PendingReference? pending))
        {
            pending.Keyword.Target = Resolve(pending);
        }
    }

    private SchemaNode Resolve(PendingReference pending)
    {
        RefKeyword keyword = pending.Keyword;
        (Uri target, string? fragment) = ResolveUri(pending.BaseUri, keyword.Reference, keyword.SchemaLocation, "$ref");
        string documentKey = UriKeys.DocumentKey(target);
        bool plainName = !string.IsNullOrEmpty(fragment) && fragment[0] != '/';
        string identifier = plainName ? documentKey + "#" + fragment : documentKey;

        if (!_identifiers.TryGetValue(identifier, out (SchemaDocument Document, string Pointer) found)
            && !(TryLoadDocument(documentKey) && _identifiers.TryGetValue(identifier, out found)))
        {
            throw new JsonSchemaException(keyword.SchemaLocation,
                $"$ref '{keyword.Reference}' cannot be resolved: nothing is known at '{identifier}' (register remote schemas in a JsonSchemaRegistry)");
        }

        if (plainName || string.IsNullOrEmpty(fragment))
        {
            return NodeAt(found.Document, found.Pointer, keyword);
        }

        List<string> tokens = JsonPointer.Parse(Uri.UnescapeDataString(fragment))
            ?? throw new JsonSchemaException(keyword.SchemaLocation, $"$ref '{keyword.Reference}' has a malformed JSON Pointer fragment");
        string pointer = found.Pointer;
        foreach (string token in tokens)
        {
            pointer = JsonPointer.Append(pointer, token);
        }

        return NodeAt(found.Document, pointer, keyword);
    }

    private bool TryLoadDocument(string documentKey)
    {
        if (_documents.ContainsKey(documentKey))
        {
            return false;
        }

        JsonElement root = default;
        if (!(_options.Registry?.TryGetDocument(documentKey, out root) ?? false) && !MetaSchemas.TryGet(documentKey, out root))
        {
            return false;
        }

        var document = new SchemaDocument(root, documentKey, documentKey);
        _documents[documentKey] = document;
        _identifiers.TryAdd(documentKey, (document, ""));
        CompileNode(document, root, "", new Uri(documentKey), 0);
        return true;
    }

    /// <summary>The node at a pointer of a document, compiling it now when no keyword position led there.</summary>
    private SchemaNode NodeAt(SchemaDocument document, string pointer, RefKeyword keyword)
    {
        if (_nodes.TryGetValue((document, pointer), out (SchemaNode Node, Uri BaseUri) compiled))
        {
            return compiled.Node;
        }

        List<string> tokens = JsonPointer.Parse(pointer)!;
        JsonElement current = document.Root;
        foreach (string token in tokens)
        {
            bool found = current.ValueKind switch
            {
                JsonValueKind.Object => current.TryGetProperty(token, out current),
                JsonValueKind.Array => int.TryParse(token, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int index)
                    && index < current.GetArrayLength() && (current = current[index]).ValueKind != JsonValueKind.Undefined,
                _ => false,
            };
            if (!found)
            {
                throw new JsonSchemaException(keyword.SchemaLocation,
                    $"$ref '{keyword.Reference}' points to '{document.Location(pointer)}', which does not exist");
            }
        }

        // The base URI in force there is that of the nearest compiled schema above it.
        Uri baseUri = new(document.Key);
        for (int length = tokens.Count - 1; length >= 0; length--)
        {
            string ancestor = string.Concat(tokens.Take(length).Select(token => JsonPointer.Append("", token)));
            if (_nodes.TryGetValue((document, ancestor), out (SchemaNode Node, Uri BaseUri) parent))
            {
                baseUri = parent.BaseUri;
                break;
            }
        }

        return CompileNode(document, current, pointer, baseUri, tokens.Count);
    }

    /// <summary>
    /// Points every pure-$ref node at the keywords of the schema its chain ends at. A chain that
    /// comes back to itself never reaches a schema: no instance could ever be checked against it.
    /// </summary>
    private void ForwardReferenceNodes()
    {
        var chain = new HashSet<SchemaNode>();
        foreach ((SchemaNode node, RefKeyword keyword) in _referenceNodes)
        {
            chain.Clear();
            chain.Add(node);
            SchemaNode target = keyword.Target!;
            while (_referenceNodes.TryGetValue(target, out RefKeyword? next))
            {
                if (!chain.Add(target))
                {
                    throw new JsonSchemaException(next.SchemaLocation,
                        $"$ref '{next.Reference}' is part of a cycle of references that never reaches a schema");
                }

                target = next.Target!;
            }

            node.ForwardTo(target);
        }
    }

    private static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "the string " + JsonText.Preview(value),
        JsonValueKind.Number => "the number " + JsonText.Preview(value),
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };

    private sealed record PendingReference(RefKeyword Keyword, Uri BaseUri);

    /// <summary>Reads the keywords of one schema object (not a $ref) and builds their validators.</summary>
    private sealed class KeywordBuilder(SchemaCompiler compiler, SchemaDocument document, string pointer, Uri baseUri, int nesting)
    {
        private static readonly Dictionary<string, SchemaTypes> TypeNames = new(StringComparer.Ordinal)
        {
            ["null"] = SchemaTypes.Null,
            ["boolean"] = SchemaTypes.Boolean,
            ["object"] = SchemaTypes.Object,
            ["array"] = SchemaTypes.Array,
            ["number"] = SchemaTypes.Number,
            ["integer"] = SchemaTypes.Integer,
            ["string"] = SchemaTypes.String,
        };

        private readonly Dictionary<string, JsonElement> _values = new(StringComparer.Ordinal);

        public KeywordValidator[] Build(JsonElement schema)
        {
            foreach (JsonProperty member in schema.EnumerateObject())
            {
                _values[member.Name] = member.Value;
            }

            var keywords = new List<KeywordValidator>();
            AddType(keywords);
            AddEnum(keywords);
            AddNumberKeywords(keywords);
            AddStringKeywords(keywords);
            AddArrayKeywords(keywords);
            AddObjectKeywords(keywords);
            AddApplicators(keywords);
            CompileDefinitions();
            return keywords.ToArray();
        }

        private string Pointer(string keyword) => JsonPointer.Append(pointer, keyword);

        private string Location(string keyword) => document.Location(Pointer(keyword));

        private JsonSchemaException Invalid(string keyword, string problem) => new(Location(keyword), problem);

        private SchemaNode Subschema(string keywordPointer, JsonElement value) =>
            compiler.CompileNode(document, value, keywordPointer, baseUri, nesting + 1);

        private bool TryGet(string keyword, out JsonElement value) => _values.TryGetValue(keyword, out value);

        private void AddType(List<KeywordValidator> keywords)
        {
            if (!TryGet("type", out JsonElement value))
            {
                return;
            }

            SchemaTypes allowed = SchemaTypes.None;
            var names = new List<string>();
            if (value.ValueKind == JsonValueKind.String)
            {
                allowed = ParseTypeName(value);
                names.Add(value.GetString()!);
            }
            else if (value.ValueKind == JsonValueKind.Array && value.GetArrayLength() > 0)
            {
                foreach (JsonElement item in value.EnumerateArray())
                {
                    SchemaTypes type = ParseTypeName(item);
                    if ((allowed & type) != 0)
                    {
                        throw Invalid("type", $"type lists '{item.GetString()}' twice");
                    }

                    allowed |= type;
                    names.Add(item.GetString()!);
                }
            }
            else
            {
                throw Invalid("type", $"type must be a type name or a non-empty array of type names, found {Describe(value)}");
            }

            string expected = names.Count == 1 ? names[0] : string.Join(" or ", names);
            keywords.Add(new TypeKeyword(allowed, expected, Location("type")));
        }

        private SchemaTypes ParseTypeName(JsonElement name)
        {
            if (name.ValueKind == JsonValueKind.String && TypeNames.TryGetValue(name.GetString()!, out SchemaTypes type))
            {
                return type;
            }

            throw Invalid("type", $"type names are null, boolean, object, array, number, integer and string; found {Describe(name)}");
        }

        private void AddEnum(List<KeywordValidator> keywords)
        {
            if (!TryGet("enum", out JsonElement value))
            {
                return;
            }

            if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() == 0)
            {
                throw Invalid("enum", $"enum must be a non-empty array, found {Describe(value)}");
            }

            keywords.Add(new EnumKeyword(value.EnumerateArray().ToArray(), Location("enum")));
        }

        private void AddNumberKeywords(List<KeywordValidator> keywords)
        {
            if (TryGet("multipleOf", out JsonElement multipleOf))
            {
                SchemaNumber divisor = ReadNumber("multipleOf", multipleOf);
                if (!divisor.IsPositive)
                {
                    throw Invalid("multipleOf", $"multipleOf must be greater than 0, found {divisor.Literal}");
                }

                keywords.Add(new MultipleOfKeyword(divisor, Location("multipleOf")));
            }

            AddBound(keywords, "maximum", "exclusiveMaximum", isMaximum: true);
            AddBound(keywords, "minimum", "exclusiveMinimum", isMaximum: false);
        }

        private void AddBound(List<KeywordValidator> keywords, string keyword, string exclusiveKeyword, bool isMaximum)
        {
            bool exclusive = false;
            if (TryGet(exclusiveKeyword, out JsonElement exclusiveValue))
            {
                exclusive = ReadBoolean(exclusiveKeyword, exclusiveValue);
                if (!TryGet(keyword, out _))
                {
                    throw Invalid(exclusiveKeyword, $"{exclusiveKeyword} requires {keyword} in the same schema");
                }
            }

            if (TryGet(keyword, out JsonElement value))
            {
                keywords.Add(new NumberBoundKeyword(isMaximum, ReadNumber(keyword, value), exclusive, Location(keyword)));
            }
        }

        private void AddStringKeywords(List<KeywordValidator> keywords)
        {
            if (TryGet("maxLength", out JsonElement maxLength))
            {
                keywords.Add(new StringLengthKeyword(true, ReadCount("maxLength", maxLength), Location("maxLength")));
            }

            if (TryGet("minLength", out JsonElement minLength))
            {
                long limit = ReadCount("minLength", minLength);
                if (limit > 0)
                {
                    keywords.Add(new StringLengthKeyword(false, limit, Location("minLength")));
                }
            }

            if (TryGet("pattern", out JsonElement pattern))
            {
                if (pattern.ValueKind != JsonValueKind.String)
                {
                    throw Invalid("pattern", $"pattern must be a string, found {Describe(pattern)}");
                }

                string text = pattern.GetString()!;
                keywords.Add(new PatternKeyword(CompileRegex("pattern", text), text, Location("pattern")));
            }

            if (TryGet("format", out JsonElement format))
            {
                if (format.ValueKind != JsonValueKind.String)
                {
                    throw Invalid("format", $"format must be a string, found {Describe(format)}");
                }

                if (compiler._options.AssertFormats && Formats.TryParseKind(format.GetString()!, out FormatKind kind))
                {
                    keywords.Add(new FormatKeyword(kind, Location("format")));
                }
            }
        }

        private System.Text.RegularExpressions.Regex CompileRegex(string keyword, string pattern)
        {
            try
            {
                return EcmaRegex.Get(pattern, compiler._options.RegexMatchTimeout);
            }
            catch (ArgumentException exception)
            {
                throw Invalid(keyword, $"'{pattern}' is not a valid regular expression: {exception.Message}");
            }
        }

        private void AddArrayKeywords(List<KeywordValidator> keywords)
        {
            TryGet("additionalItems", out JsonElement additionalItems);
            SchemaNode? additionalSchema = null;
            bool additionalForbidden = false;
            if (additionalItems.ValueKind != JsonValueKind.Undefined)
            {
                ReadBooleanOrSchema("additionalItems", additionalItems, out additionalSchema, out additionalForbidden);
            }

            if (TryGet("items", out JsonElement items))
            {
                if (items.ValueKind == JsonValueKind.Object)
                {
                    keywords.Add(new ItemsKeyword(Subschema(Pointer("items"), items), Location("items")));
                }
                else if (items.ValueKind == JsonValueKind.Array)
                {
                    SchemaNode[] positions = SchemaArray("items", items, allowEmpty: true);
                    keywords.Add(new TupleItemsKeyword(positions, additionalSchema, additionalForbidden, Location("additionalItems"), Location("items")));
                }
                else
                {
                    throw Invalid("items", $"items must be a schema or an array of schemas, found {Describe(items)}");
                }
            }

            if (TryGet("maxItems", out JsonElement maxItems))
            {
                keywords.Add(new ItemCountKeyword(true, ReadCount("maxItems", maxItems), Location("maxItems")));
            }

            if (TryGet("minItems", out JsonElement minItems))
            {
                long limit = ReadCount("minItems", minItems);
                if (limit > 0)
                {
                    keywords.Add(new ItemCountKeyword(false, limit, Location("minItems")));
                }
            }

            if (TryGet("uniqueItems", out JsonElement uniqueItems) && ReadBoolean("uniqueItems", uniqueItems))
            {
                keywords.Add(new UniqueItemsKeyword(Location("uniqueItems")));
            }
        }

        private void AddObjectKeywords(List<KeywordValidator> keywords)
        {
            var entries = new List<(string Name, SchemaNode? Schema, bool Required)>();
            if (TryGet("properties", out JsonElement properties))
            {
                foreach (JsonProperty member in ReadObject("properties", properties))
                {
                    entries.Add((member.Name, Subschema(JsonPointer.Append(Pointer("properties"), member.Name), member.Value), false));
                }
            }

            if (TryGet("required", out JsonElement required))
            {
                foreach (string name in ReadNames("required", required))
                {
                    int existing = entries.FindIndex(entry => entry.Name == name);
                    if (existing >= 0)
                    {
                        entries[existing] = entries[existing] with { Required = true };
                    }
                    else
                    {
                        entries.Add((name, null, true));
                    }
                }
            }

            var patterns = new List<PatternPropertyEntry>();
            if (TryGet("patternProperties", out JsonElement patternProperties))
            {
                foreach (JsonProperty member in ReadObject("patternProperties", patternProperties))
                {
                    patterns.Add(new PatternPropertyEntry(
                        CompileRegex("patternProperties", member.Name),
                        member.Name,
                        Subschema(JsonPointer.Append(Pointer("patternProperties"), member.Name), member.Value)));
                }
            }

            SchemaNode? additional = null;
            bool additionalForbidden = false;
            if (TryGet("additionalProperties", out JsonElement additionalProperties))
            {
                ReadBooleanOrSchema("additionalProperties", additionalProperties, out additional, out additionalForbidden);
            }

            if (entries.Count > 0 || patterns.Count > 0 || additional is not null || additionalForbidden)
            {
                keywords.Add(new PropertiesKeyword(
                    entries.Select(entry => new PropertyEntry(entry.Name, entry.Schema, entry.Required)).ToArray(),
                    patterns.ToArray(),
                    additional,
                    additionalForbidden,
                    Location("additionalProperties"),
                    Location("required"),
                    Location("properties")));
            }

            if (TryGet("maxProperties", out JsonElement maxProperties))
            {
                keywords.Add(new PropertyCountKeyword(true, ReadCount("maxProperties", maxProperties), Location("maxProperties")));
            }

            if (TryGet("minProperties", out JsonElement minProperties))
            {
                long limit = ReadCount("minProperties", minProperties);
                if (limit > 0)
                {
                    keywords.Add(new PropertyCountKeyword(false, limit, Location("minProperties")));
                }
            }

            if (TryGet("dependencies", out JsonElement dependencies))
            {
                var dependencyEntries = new List<DependencyEntry>();
                foreach (JsonProperty member in ReadObject("dependencies", dependencies))
                {
                    string memberPointer = JsonPointer.Append(Pointer("dependencies"), member.Name);
                    dependencyEntries.Add(member.Value.ValueKind == JsonValueKind.Array
                        ? new DependencyEntry(member.Name, ReadNames("dependencies", member.Value), null)
                        : new DependencyEntry(member.Name, null, Subschema(memberPointer, member.Value)));
                }

                if (dependencyEntries.Count > 0)
                {
                    keywords.Add(new DependenciesKeyword(dependencyEntries.ToArray(), Location("dependencies")));
                }
            }
        }

        private void AddApplicators(List<KeywordValidator> keywords)
        {
            if (TryGet("allOf", out JsonElement allOf))
            {
                keywords.Add(new AllOfKeyword(SchemaArray("allOf", allOf, allowEmpty: false), Location("allOf")));
            }

            if (TryGet("anyOf", out JsonElement anyOf))
            {
                keywords.Add(new AnyOfKeyword(SchemaArray("anyOf", anyOf, allowEmpty: false), Location("anyOf")));
            }

            if (TryGet("oneOf", out JsonElement oneOf))
            {
                keywords.Add(new OneOfKeyword(SchemaArray("oneOf", oneOf, allowEmpty: false), Location("oneOf")));
            }

            if (TryGet("not", out JsonElement not))
            {
                keywords.Add(new NotKeyword(Subschema(Pointer("not"), not), Location("not")));
            }
        }

        private void CompileDefinitions()
        {
            // Unreferenced definitions are compiled too: a bad one makes the schema invalid, and
            // their ids must be known before references are resolved.
            if (TryGet("definitions", out JsonElement definitions))
            {
                foreach (JsonProperty member in ReadObject("definitions", definitions))
                {
                    Subschema(JsonPointer.Append(Pointer("definitions"), member.Name), member.Value);
                }
            }
        }

        private SchemaNode[] SchemaArray(string keyword, JsonElement value, bool allowEmpty)
        {
            if (value.ValueKind != JsonValueKind.Array || (!allowEmpty && value.GetArrayLength() == 0))
            {
                throw Invalid(keyword, $"{keyword} must be a {(allowEmpty ? "" : "non-empty ")}array of schemas, found {Describe(value)}");
            }

            var schemas = new SchemaNode[value.GetArrayLength()];
            int index = 0;
            foreach (JsonElement item in value.EnumerateArray())
            {
                schemas[index] = Subschema(JsonPointer.Append(Pointer(keyword), index), item);
                index++;
            }

            return schemas;
        }

        private void ReadBooleanOrSchema(string keyword, JsonElement value, out SchemaNode? schema, out bool forbidden)
        {
            schema = null;
            forbidden = false;
            switch (value.ValueKind)
            {
                case JsonValueKind.False:
                    forbidden = true;
                    break;
                case JsonValueKind.True:
                    break;
                case JsonValueKind.Object:
                    schema = Subschema(Pointer(keyword), value);
                    break;
                default:
                    throw Invalid(keyword, $"{keyword} must be a boolean or a schema, found {Describe(value)}");
            }
        }

        private JsonElement.ObjectEnumerator ReadObject(string keyword, JsonElement value) =>
            value.ValueKind == JsonValueKind.Object
                ? value.EnumerateObject()
                : throw Invalid(keyword, $"{keyword} must be an object, found {Describe(value)}");

        private string[] ReadNames(string keyword, JsonElement value)
        {
            if (value.ValueKind != JsonValueKind.Array)
            {
                throw Invalid(keyword, $"{keyword} must be an array of property names, found {Describe(value)}");
            }

            var names = new List<string>();
            foreach (JsonElement item in value.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.String)
                {
                    throw Invalid(keyword, $"{keyword} must list property names as strings, found {Describe(item)}");
                }

                string name = item.GetString()!;
                if (names.Contains(name))
                {
                    throw Invalid(keyword, $"{keyword} lists '{name}' twice");
                }

                names.Add(name);
            }

            return names.ToArray();
        }

        private SchemaNumber ReadNumber(string keyword, JsonElement value) =>
            value.ValueKind == JsonValueKind.Number
                ? new SchemaNumber(value)
                : throw Invalid(keyword, $"{keyword} must be a number, found {Describe(value)}");

        private bool ReadBoolean(string keyword, JsonElement value) => value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw Invalid(keyword, $"{keyword} must be true or false, found {Describe(value)}"),
        };

        /// <summary>A non-negative integer limit (2.0 accepted as 2); huge values saturate.</summary>
        private long ReadCount(string keyword, JsonElement value)
        {
            if (value.ValueKind == JsonValueKind.Number)
            {
                var number = new SchemaNumber(value);
                ExactNumber exact = number.Exact;
                if (!exact.Negative && exact.Exponent >= 0)
                {
                    return value.TryGetInt64(out long count) ? count
                        : value.TryGetDouble(out double approximate) && approximate < long.MaxValue ? (long)approximate : long.MaxValue;
                }
            }

            throw Invalid(keyword, $"{keyword} must be a non-negative integer, found {Describe(value)}");
        }
    }
}
