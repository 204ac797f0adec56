using System.Text.Json;
using Sluice.DataQuality.Data;
using Sluice.DataQuality.Evaluation;
using Sluice.ObjectStore;
using Sluice.Validation.Filtering;
using Sluice.Validation.References;
using Sluice.Validation.Storage;
using DqdlRuleset = Sluice.DataQuality.Model.Ruleset;

namespace Sluice.Validation.Rulesets;

/// <summary>
/// Runs DQDL rulesets on datasets: NDJSON parts in the object store, streamed one part at a time,
/// or rows given inline. Where clauses in the subset the evaluator models run in its own pass (logged at debug level
/// per clause, with the reason when DuckDB runs one instead). CustomSql rules, other where clauses and rules comparing with reference datasets run
/// on an embedded DuckDB copy of the dataset made for the evaluation (<see cref="DuckDbDatasetCopies"/>),
/// unless an <see cref="ICustomSqlRunner"/> is registered in the container: that one then runs them instead.
/// </summary>
internal sealed class DatasetEvaluator(IObjectStore objects, TimeProvider time, DuckDbDatasetCopies copies, ILogger<DatasetEvaluator> logger,
    ICustomSqlRunner? customSql = null)
{
    /// <summary>What a key must end with to be read as a part when a dataset is given by prefix.</summary>
    public const string PartSuffix = ".ndjson";

    /// <summary>Keys of the NDJSON parts under <paramref name="prefix"/>, in key order.</summary>
    /// <exception cref="InvalidObjectKeyException">The prefix could never match a key.</exception>
    public async Task<IReadOnlyList<string>> ListPartsAsync(string prefix, CancellationToken cancellationToken)
    {
        var keys = new List<string>();
        await foreach (var item in objects.ListAsync(prefix, cancellationToken).ConfigureAwait(false))
        {
            if (item.Key.EndsWith(PartSuffix, StringComparison.Ordinal))
            {
                keys.Add(item.Key);
            }
        }
        return keys;
    }

    /// <summary>The reference datasets of a registered ruleset by alias (each prefix listed now), or null when it has none.</summary>
    public async Task<IReadOnlyDictionary<string, ReferenceDataset>?> ReferencesOfAsync(StoredRuleset ruleset, CancellationToken cancellationToken)
    {
        if (ruleset.References.Count == 0 && ruleset.ReferenceTables.Count == 0)
        {
            return null;
        }
        var references = new Dictionary<string, ReferenceDataset>(StringComparer.Ordinal);
        foreach (var (alias, prefix) in ruleset.References)
        {
            references[alias] = new ReferenceParts(await ListPartsAsync(prefix, cancellationToken).ConfigureAwait(false));
        }
        foreach (var (alias, table) in ruleset.ReferenceTables)
        {
            references[alias] = new ReferenceTable(table);
        }
        return references;
    }

    /// <summary>Evaluates the objects <paramref name="keys"/>, read in order as one table.</summary>
    /// <exception cref="ObjectNotFoundException">A part does not exist.</exception>
    /// <exception cref="InvalidDataException">A line of a part is not a JSON object; the message names the part's key and the line.</exception>
    public async Task<Scorecard> EvaluateObjectsAsync(DqdlRuleset ruleset, IReadOnlyList<string> keys, string datasetName, CancellationToken cancellationToken,
        IMetricHistory? history = null, IReadOnlyDictionary<string, ReferenceDataset>? references = null)
    {
        // Parts are opened one at a time, in order, so the last one opened is the one being read.
        var current = -1;
        var parts = keys.Select((key, index) => (Func<CancellationToken, Task<Stream>>)(token =>
        {
            current = index;
            return objects.OpenReadAsync(key, token);
        }));
        var copy = customSql is null ? copies.OfObjects(keys, references) : null;
        try
        {
            var scorecard = await RulesetEvaluator.EvaluateAsync(ruleset, DatasetSource.FromNdjsonParts(parts), Options(datasetName, copy, history), cancellationToken).ConfigureAwait(false);
            copy?.ThrowIfCopyFailedForAnotherReason();
            return LogWhereClauses(scorecard);
        }
        catch (InvalidDataException exception) when (current >= 0)
        {
            throw new InvalidDataException($"Object '{keys[current]}': {exception.Message}", exception);
        }
        finally
        {
            await DisposeAsync(copy).ConfigureAwait(false);
        }
    }

    /// <summary>Evaluates rows that are each a JSON object.</summary>
    public async Task<Scorecard> EvaluateRowsAsync(DqdlRuleset ruleset, IReadOnlyList<JsonElement> rows, CancellationToken cancellationToken,
        IMetricHistory? history = null, IReadOnlyDictionary<string, ReferenceDataset>? references = null)
    {
        var copy = customSql is null ? copies.OfRows(rows, references) : null;
        try
        {
            var scorecard = await RulesetEvaluator.EvaluateAsync(ruleset, DatasetSource.FromRows(rows), Options("primary", copy, history), cancellationToken).ConfigureAwait(false);
            copy?.ThrowIfCopyFailedForAnotherReason();
            return LogWhereClauses(scorecard);
        }
        finally
        {
            await DisposeAsync(copy).ConfigureAwait(false);
        }
    }

    private Scorecard LogWhereClauses(Scorecard scorecard)
    {
        foreach (var clause in scorecard.WhereClauses)
        {
            if (clause.InProcess)
            {
                ValidationLog.WhereClauseInProcess(logger, clause.Clause);
            }
            else
            {
                ValidationLog.WhereClauseOnSqlEngine(logger, clause.Clause, clause.SqlEngineReason);
            }
        }
        return scorecard;
    }

    private static ValueTask DisposeAsync(DuckDbDatasetCopy? copy) => copy?.DisposeAsync() ?? ValueTask.CompletedTask;

    /// <summary>The copy is made only if a rule asks for it: CustomSql, a reference rule, or a where clause the evaluator does not run itself.</summary>
    private EvaluationOptions Options(string datasetName, DuckDbDatasetCopy? copy, IMetricHistory? history) => new()
    {
        MetricHistory = history,
        CustomSqlRunner = customSql ?? copy,
        DatasetName = datasetName,
        TimeProvider = time,
    };
}
