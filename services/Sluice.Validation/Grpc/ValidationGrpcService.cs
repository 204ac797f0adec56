using Sluice.DataQuality.Evaluation;
using System.Text.Json;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.Options;
using Grpc.Core;
using Sluice.JsonSchema;
using Sluice.ObjectStore;
using Sluice.Validation.References;
using Sluice.Validation.Rulesets;
using Sluice.Validation.Schemas;
using Sluice.Validation.Storage;
using Sluice.Validation.V1;
using DqdlRuleset = Sluice.DataQuality.Model.Ruleset;
using Scorecard = Sluice.DataQuality.Evaluation.Scorecard;

namespace Sluice.Validation.Grpc;

/// <summary>
/// sluice.validation.v1.ValidationService: checks every request field first (one
/// INVALID_ARGUMENT naming each bad field), then calls the registries and the evaluator and maps
/// their answers to the contract.
/// </summary>
internal sealed class ValidationGrpcService(
    SchemaRegistry schemas,
    RulesetRegistry rulesets,
    MetricHistory history,
    DatasetEvaluator evaluator,
    IOptions<ValidationOptions> options,
    ILogger<ValidationGrpcService> logger) : ValidationService.ValidationServiceBase
{
    private const int DefaultPageSize = 100;
    private const int MaxPageSize = 1000;

    private ValidationOptions Options => options.Value;

    public override async Task<ValidateDocumentResponse> ValidateDocument(ValidateDocumentRequest request, ServerCallContext context)
    {
        var violations = new FieldViolations();
        CompiledSchema? inline = null;
        switch (request.SchemaCase)
        {
            case ValidateDocumentRequest.SchemaOneofCase.SchemaJson:
                inline = RequestChecks.Schema(violations, "schema_json", request.SchemaJson, Options.MaxSchemaLength);
                break;
            case ValidateDocumentRequest.SchemaOneofCase.SchemaRef:
                RequestChecks.Name(violations, "schema_ref.name", request.SchemaRef.Name, "schema name");
                RequestChecks.Version(violations, "schema_ref.version", request.SchemaRef.Version);
                break;
            default:
                violations.Add("schema", "Give the schema inline (schema_json) or by reference (schema_ref).");
                break;
        }
        using var document = RequestChecks.Json(violations, "document_json", request.DocumentJson, Options.MaxDocumentLength, JsonSchemaOptions.Default.MaxDepth);
        violations.ThrowIfAny();

        var (schema, version) = inline is not null
            ? (inline, 0)
            : await schemas.GetCompiledAsync(request.SchemaRef.Name, VersionOrLatest(request.SchemaRef.Version), context.CancellationToken).ConfigureAwait(false);
        var result = schema.Validate(document!.RootElement);
        var response = new ValidateDocumentResponse { Valid = result.IsValid, SchemaVersion = version };
        response.Errors.AddRange(result.Errors.Select(error => new V1.ValidationError
        {
            InstanceLocation = error.InstanceLocation,
            Keyword = error.Keyword,
            SchemaLocation = error.SchemaLocation,
            Message = error.Message,
        }));
        return response;
    }

    public override async Task<RegisterSchemaResponse> RegisterSchema(RegisterSchemaRequest request, ServerCallContext context)
    {
        var violations = new FieldViolations();
        RequestChecks.Name(violations, "name", request.Name, "schema name");
        if (request.Version < 0)
        {
            violations.Add("version", $"{request.Version} is not a version: use 0 for the next one, or a version number from 1.");
        }
        var compiled = RequestChecks.Schema(violations, "schema_json", request.SchemaJson, Options.MaxSchemaLength);
        violations.ThrowIfAny();

        var (schema, created) = await schemas.RegisterAsync(request.Name, request.SchemaJson, VersionOrLatest(request.Version), context.CancellationToken, compiled)
            .ConfigureAwait(false);
        if (created)
        {
            ValidationLog.SchemaRegistered(logger, schema.Name, schema.Version);
        }
        return new RegisterSchemaResponse { Schema = ToProto(schema), Created = created };
    }

    public override async Task<GetSchemaResponse> GetSchema(GetSchemaRequest request, ServerCallContext context)
    {
        var violations = new FieldViolations();
        RequestChecks.Name(violations, "name", request.Name, "schema name");
        RequestChecks.Version(violations, "version", request.Version);
        violations.ThrowIfAny();

        var schema = await schemas.GetAsync(request.Name, VersionOrLatest(request.Version), context.CancellationToken).ConfigureAwait(false);
        return new GetSchemaResponse { Schema = ToProto(schema), SchemaJson = schema.SchemaJson };
    }

    public override async Task<ListSchemasResponse> ListSchemas(ListSchemasRequest request, ServerCallContext context)
    {
        var violations = new FieldViolations();
        if (request.Name.Length > 0)
        {
            RequestChecks.Name(violations, "name", request.Name, "schema name");
        }
        if (request.PageSize is < 0 or > MaxPageSize)
        {
            violations.Add("page_size", $"{request.PageSize} is out of range: 1 to {MaxPageSize}, or 0 for {DefaultPageSize}.");
        }
        SchemaCursor? after = null;
        if (request.PageToken.Length > 0)
        {
            after = SchemaPageToken.Decode(request.PageToken);
            if (after is null)
            {
                violations.Add("page_token", "Not a page token of ListSchemas: pass next_page_token of the previous page unchanged.");
            }
        }
        violations.ThrowIfAny();

        var pageSize = request.PageSize == 0 ? DefaultPageSize : request.PageSize;
        // One extra row tells whether another page follows.
        var page = await schemas.ListAsync(request.Name.Length > 0 ? request.Name : null, after, pageSize + 1, context.CancellationToken).ConfigureAwait(false);
        var response = new ListSchemasResponse();
        response.Schemas.AddRange(page.Take(pageSize).Select(ToProto));
        if (page.Count > pageSize)
        {
            var last = page[pageSize - 1];
            response.NextPageToken = SchemaPageToken.Encode(new SchemaCursor(last.Name, last.Version));
        }
        return response;
    }

    public override async Task<EvaluateRulesetResponse> EvaluateRuleset(EvaluateRulesetRequest request, ServerCallContext context)
    {
        var violations = new FieldViolations();
        DqdlRuleset? ruleset = null;
        switch (request.RulesetCase)
        {
            case EvaluateRulesetRequest.RulesetOneofCase.RulesetText:
                ruleset = RequestChecks.Ruleset(violations, "ruleset_text", request.RulesetText, Options.MaxRulesetLength);
                break;
            case EvaluateRulesetRequest.RulesetOneofCase.Source:
                RequestChecks.Name(violations, "source", request.Source, "source name");
                break;
            default:
                violations.Add("ruleset", "Give the ruleset as text (ruleset_text) or by the source it is registered for (source).");
                break;
        }
        var rows = new List<JsonDocument>();
        try
        {
            CheckDataset(request, violations, rows);
            violations.ThrowIfAny();

            var rulesetVersion = 0;
            IMetricHistory? metricHistory = null;
            StoredRuleset? registered = null;
            if (ruleset is null)
            {
                registered = await rulesets.GetAsync(request.Source, version: null, context.CancellationToken).ConfigureAwait(false);
                ruleset = RulesetRegistry.Parse(registered);
                rulesetVersion = registered.Version;
                // A registered ruleset evaluates the source's dataset: its dynamic rules use, and extend, its history.
                metricHistory = await history.LoadAsync(request.Source, context.CancellationToken).ConfigureAwait(false);
            }
            var references = await ReferencesAsync(request, registered, context.CancellationToken).ConfigureAwait(false);
            var scorecard = request.DatasetCase == EvaluateRulesetRequest.DatasetOneofCase.InlineRows
                ? await evaluator.EvaluateRowsAsync(ruleset, rows.Select(row => row.RootElement).ToList(), context.CancellationToken, metricHistory, references).ConfigureAwait(false)
                : await EvaluateObjectsAsync(ruleset, request.ObjectStore, request.RulesetCase == EvaluateRulesetRequest.RulesetOneofCase.Source ? request.Source : "primary", context.CancellationToken, metricHistory, references)
                    .ConfigureAwait(false);
            if (metricHistory is not null)
            {
                await history.RecordAsync(request.Source, scorecard, context.CancellationToken).ConfigureAwait(false);
            }
            return new EvaluateRulesetResponse { Scorecard = ScorecardMapping.ToProto(scorecard), RulesetVersion = rulesetVersion };
        }
        finally
        {
            foreach (var row in rows)
            {
                row.Dispose();
            }
        }
    }

    public override async Task<RegisterRulesetResponse> RegisterRuleset(RegisterRulesetRequest request, ServerCallContext context)
    {
        var violations = new FieldViolations();
        RequestChecks.Name(violations, "source", request.Source, "source name");
        RequestChecks.Ruleset(violations, "ruleset_text", request.RulesetText, Options.MaxRulesetLength);
        violations.ThrowIfAny();

        if (request.ReferencePrefixes.Count + request.ReferenceTables.Count > MaxReferenceDatasets)
        {
            throw FieldViolations.Single("reference_prefixes", $"At most {MaxReferenceDatasets} reference datasets (reference_prefixes and reference_tables together) are accepted.");
        }
        foreach (var (alias, prefix) in request.ReferencePrefixes)
        {
            CheckAlias(alias, $"reference_prefixes[{alias}]");
            if (prefix.Length == 0 || prefix.Length > ObjectKey.MaxUtf8Bytes)
            {
                throw FieldViolations.Single($"reference_prefixes[{alias}]", "Give the object store key prefix of the reference dataset's NDJSON parts.");
            }
        }
        var tables = ReferenceTables(request.ReferenceTables, "reference_tables", request.ReferencePrefixes.ContainsKey, "reference_prefixes");
        var (ruleset, created) = await rulesets.RegisterAsync(request.Source, request.RulesetText, context.CancellationToken,
            request.ReferencePrefixes.ToDictionary(pair => pair.Key, pair => pair.Value, StringComparer.Ordinal), tables).ConfigureAwait(false);
        if (created)
        {
            ValidationLog.RulesetRegistered(logger, ruleset.Source, ruleset.Version, ruleset.RuleCount);
        }
        return new RegisterRulesetResponse { Ruleset = ToProto(ruleset), Created = created };
    }

    public override async Task<GetRulesetResponse> GetRuleset(GetRulesetRequest request, ServerCallContext context)
    {
        var violations = new FieldViolations();
        RequestChecks.Name(violations, "source", request.Source, "source name");
        RequestChecks.Version(violations, "version", request.Version);
        violations.ThrowIfAny();

        var ruleset = await rulesets.GetAsync(request.Source, VersionOrLatest(request.Version), context.CancellationToken).ConfigureAwait(false);
        return new GetRulesetResponse { Ruleset = ToProto(ruleset) };
    }

    private void CheckDataset(EvaluateRulesetRequest request, FieldViolations violations, List<JsonDocument> rows)
    {
        switch (request.DatasetCase)
        {
            case EvaluateRulesetRequest.DatasetOneofCase.ObjectStore:
                var location = request.ObjectStore;
                if ((location.KeyPrefix.Length > 0) == (location.Keys.Count > 0))
                {
                    violations.Add("object_store", "Give either key_prefix or keys, not both and not neither.");
                }
                for (var i = 0; i < location.Keys.Count; i++)
                {
                    if (ObjectKeyProblem(location.Keys[i]) is { } problem)
                    {
                        violations.Add($"object_store.keys[{i}]", problem);
                    }
                }
                break;
            case EvaluateRulesetRequest.DatasetOneofCase.InlineRows:
                var texts = request.InlineRows.RowsJson;
                if (texts.Count > Options.MaxInlineRows)
                {
                    violations.Add("inline_rows.rows_json", $"{texts.Count} rows given; at most {Options.MaxInlineRows} are accepted inline. Put larger datasets in the object store.");
                    break;
                }
                for (var i = 0; i < texts.Count; i++)
                {
                    var field = $"inline_rows.rows_json[{i}]";
                    var row = RequestChecks.Json(violations, field, texts[i], Options.MaxDocumentLength, JsonSchemaOptions.Default.MaxDepth);
                    if (row is null)
                    {
                        continue;
                    }
                    rows.Add(row);
                    if (row.RootElement.ValueKind != JsonValueKind.Object)
                    {
                        violations.Add(field, $"A row must be a JSON object, not {row.RootElement.ValueKind}.");
                    }
                }
                break;
            default:
                violations.Add("dataset", "Give the dataset in the object store (object_store) or inline (inline_rows).");
                break;
        }
    }

    private const int MaxReferenceDatasets = 8;

    /// <summary>
    /// The reference datasets of the evaluation by alias: the registered ruleset's, then the request's (which replace those of
    /// the same alias); null when there are none.
    /// </summary>
    private async Task<IReadOnlyDictionary<string, ReferenceDataset>?> ReferencesAsync(EvaluateRulesetRequest request, StoredRuleset? registered,
        CancellationToken cancellationToken)
    {
        var fromRegistered = registered is null ? null : await evaluator.ReferencesOfAsync(registered, cancellationToken).ConfigureAwait(false);
        if (request.ReferenceDatasets.Count == 0 && request.ReferenceTables.Count == 0)
        {
            return fromRegistered;
        }
        if (request.ReferenceDatasets.Count + request.ReferenceTables.Count > MaxReferenceDatasets)
        {
            throw FieldViolations.Single("reference_datasets", $"At most {MaxReferenceDatasets} reference datasets (reference_datasets and reference_tables together) are accepted.");
        }
        var references = fromRegistered is null
            ? new Dictionary<string, ReferenceDataset>(StringComparer.Ordinal)
            : new Dictionary<string, ReferenceDataset>(fromRegistered, StringComparer.Ordinal);
        foreach (var (alias, location) in request.ReferenceDatasets)
        {
            CheckAlias(alias, $"reference_datasets[{alias}]");
            references[alias] = new ReferenceParts(await PartsAsync(location, $"reference_datasets[{alias}]", cancellationToken).ConfigureAwait(false));
        }
        foreach (var (alias, table) in ReferenceTables(request.ReferenceTables, "reference_tables", request.ReferenceDatasets.ContainsKey, "reference_datasets"))
        {
            references[alias] = new ReferenceTable(table);
        }
        return references;
    }

    /// <summary>The warehouse tables of a request by alias, each alias and name checked; an alias may not also name a dataset of <paramref name="otherField"/>.</summary>
    private static Dictionary<string, WarehouseTableName> ReferenceTables(IDictionary<string, WarehouseTable> requested, string field, Func<string, bool> inOtherField, string otherField)
    {
        var tables = new Dictionary<string, WarehouseTableName>(StringComparer.Ordinal);
        foreach (var (alias, table) in requested)
        {
            var name = $"{field}[{alias}]";
            CheckAlias(alias, name);
            if (inOtherField(alias))
            {
                throw FieldViolations.Single(name, $"The alias '{alias}' is also in {otherField}: an alias names one reference dataset.");
            }
            if (WarehouseTableName.Problem(table.Database, table.Table) is { } problem)
            {
                throw FieldViolations.Single(name, problem);
            }
            tables[alias] = new WarehouseTableName(table.Database, table.Table);
        }
        return tables;
    }

    private static void CheckAlias(string alias, string field)
    {
        if (!IsAlias(alias) || string.Equals(alias, "primary", StringComparison.OrdinalIgnoreCase))
        {
            throw FieldViolations.Single(field, "An alias is letters, digits and '_', starts with a letter, is at most 64 characters and is not 'primary'.");
        }
    }

    private static bool IsAlias(string alias) =>
        alias.Length is > 0 and <= 64 && char.IsAsciiLetter(alias[0]) && alias.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');

    private async Task<IReadOnlyList<string>> PartsAsync(ObjectStoreDataset location, string field, CancellationToken cancellationToken)
    {
        IReadOnlyList<string> keys = location.Keys;
        if (location.KeyPrefix.Length > 0)
        {
            try
            {
                keys = await evaluator.ListPartsAsync(location.KeyPrefix, cancellationToken).ConfigureAwait(false);
            }
            catch (InvalidObjectKeyException exception)
            {
                throw FieldViolations.Single($"{field}.key_prefix", exception.Message);
            }
            if (keys.Count == 0)
            {
                throw RpcErrors.NotFound("sluice.objectstore.Prefix", location.KeyPrefix,
                    $"No NDJSON parts (keys ending in '{DatasetEvaluator.PartSuffix}') are stored under the prefix '{location.KeyPrefix}'.");
            }
        }
        else if (keys.Count == 0)
        {
            throw FieldViolations.Single(field, "Give a key_prefix or keys.");
        }
        else
        {
            for (var i = 0; i < keys.Count; i++)
            {
                if (!ObjectKey.IsValid(keys[i]))
                {
                    throw FieldViolations.Single($"{field}.keys[{i}]", $"'{keys[i]}' is not a valid object key.");
                }
            }
        }
        return keys;
    }

    private async Task<Scorecard> EvaluateObjectsAsync(DqdlRuleset ruleset, ObjectStoreDataset location, string datasetName, CancellationToken cancellationToken,
        IMetricHistory? metricHistory, IReadOnlyDictionary<string, ReferenceDataset>? references)
    {
        var keys = await PartsAsync(location, "object_store", cancellationToken).ConfigureAwait(false);
        try
        {
            return await evaluator.EvaluateObjectsAsync(ruleset, keys, datasetName, cancellationToken, metricHistory, references).ConfigureAwait(false);
        }
        catch (ObjectNotFoundException exception)
        {
            throw RpcErrors.NotFound("sluice.objectstore.Object", exception.Key, exception.Message);
        }
        catch (InvalidObjectKeyException exception)
        {
            // A rule of the configured store beyond the general key rules checked up front.
            var index = IndexOf(keys, exception.Key);
            throw FieldViolations.Single(location.KeyPrefix.Length > 0 || index < 0 ? "object_store" : $"object_store.keys[{index}]", exception.Message);
        }
        catch (InvalidDataException exception)
        {
            throw FieldViolations.Single("object_store", exception.Message);
        }
    }

    private static string? ObjectKeyProblem(string key)
    {
        try
        {
            ObjectKey.Validate(key);
            return null;
        }
        catch (InvalidObjectKeyException exception)
        {
            return exception.Message;
        }
    }

    private static int IndexOf(IReadOnlyList<string> keys, string key)
    {
        for (var i = 0; i < keys.Count; i++)
        {
            if (keys[i] == key)
            {
                return i;
            }
        }
        return -1;
    }

    private static int? VersionOrLatest(int version) => version == 0 ? null : version;

    private static SchemaVersion ToProto(StoredSchema schema) => new()
    {
        Name = schema.Name,
        Version = schema.Version,
        CreatedAt = Timestamp.FromDateTimeOffset(schema.CreatedAt),
        SchemaLength = schema.SchemaJson.Length,
    };

    private static SchemaVersion ToProto(StoredSchemaInfo schema) => new()
    {
        Name = schema.Name,
        Version = schema.Version,
        CreatedAt = Timestamp.FromDateTimeOffset(schema.CreatedAt),
        SchemaLength = schema.SchemaLength,
    };

    private static V1.Ruleset ToProto(StoredRuleset ruleset) => new()
    {
        Source = ruleset.Source,
        Version = ruleset.Version,
        RulesetText = ruleset.RulesetText,
        RuleCount = ruleset.RuleCount,
        CreatedAt = Timestamp.FromDateTimeOffset(ruleset.CreatedAt),
        ReferencePrefixes = { ruleset.References.ToDictionary(pair => pair.Key, pair => pair.Value, StringComparer.Ordinal) },
        ReferenceTables = { ruleset.ReferenceTables.ToDictionary(pair => pair.Key, pair => new WarehouseTable { Database = pair.Value.Database, Table = pair.Value.Table }, StringComparer.Ordinal) },
    };
}
