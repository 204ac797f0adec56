using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using DuckDB.NET.Data;
using Microsoft.Extensions.Options;
using Sluice.Query.Engines.DuckDb;
using Sluice.Query.Statements;
using Sluice.Query.V1;

namespace Sluice.Query.Loading;

/// <summary>Loads a job's landed parts into the warehouse table named after its source.</summary>
internal interface IDatasetLoader
{
    /// <exception cref="DatasetLoadException">The load ran and did not load.</exception>
    /// <exception cref="InvalidDataException">A part or a field cannot be loaded.</exception>
    Task<DatasetLoadResult> LoadAsync(string jobId, string source, IReadOnlyList<string> keys, CancellationToken cancellationToken);
}

/// <summary>A load's outcome: the table, the rows the job put in it, and the statement that loaded them (none when the job had no records).</summary>
internal sealed record DatasetLoadResult(string Table, long Rows, string? StatementId);

/// <summary>A load whose statement ended without loading; <see cref="Retryable"/> when running it again may succeed.</summary>
internal sealed class DatasetLoadException(string message, bool retryable, string? statementId = null) : Exception(message)
{
    public bool Retryable { get; } = retryable;

    public string? StatementId { get; } = statementId;
}

/// <summary>
/// Loads a job's landed parts on DuckDB from the lake, as a statement of the statement manager
/// (the path SubmitStatement takes), so the load has a statement id, a saga, and shows in
/// ListStatements and DescribeStatement under caller <see cref="Caller"/>, named
/// <c>load-job-{jobId}</c>. Only the job's own parts are read, as the DatasetValidated event lists
/// them. First DuckDB detects the parts' columns over every record (a read-only DESCRIBE,
/// outside the statement: it decides the SQL); then the statement (see
/// <see cref="LakeLoadStatements"/>) creates or extends the table and replaces the job's rows in
/// one transaction. Loads into one table run one at a time: two first loads would both create it,
/// and DuckDB refuses concurrent schema changes of one table.
/// </summary>
internal sealed partial class LakeDatasetLoader(DuckDbSqlEngine engine, ILakeCatalog lake, StatementManager statements, StatementEnds ends,
    IOptions<DatasetLoadingOptions> options) : IDatasetLoader
{
    /// <summary>The caller load statements are listed under.</summary>
    public const string Caller = "sluice-ingestion-load";

    private readonly ConcurrentDictionary<string, SemaphoreSlim> _tables = new(StringComparer.Ordinal);

    public async Task<DatasetLoadResult> LoadAsync(string jobId, string source, IReadOnlyList<string> keys, CancellationToken cancellationToken)
    {
        var table = source.Replace('-', '_');
        var database = options.Value.Database ?? ((Engines.ISqlEngine)engine).DefaultDatabase ?? "dev";
        foreach (var key in keys)
        {
            var segments = key.Split('/');
            if (segments.Length != 5 || segments[1] != source || segments[3] != jobId || !PartName().IsMatch(segments[4]))
            {
                throw new InvalidDataException($"'{key}' is not a part of job {jobId} of source {source} (raw/{source}/ingest_date=YYYY-MM-DD/{jobId}/part-*.ndjson).");
            }
        }
        var parts = await lake.LocalPartsAsync(keys, cancellationToken).ConfigureAwait(false);
        if (parts.All(p => new FileInfo(p).Length == 0))
        {
            return new DatasetLoadResult(table, 0, null); // No records: nothing to load, and no columns to create a table with.
        }
        var gate = _tables.GetOrAdd(database + "\n" + table, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // DuckDB's calls block their thread.
            var (columns, existing) = await Task.Factory.StartNew(() => DescribeAsync(database, table, parts, cancellationToken), cancellationToken,
                TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap().ConfigureAwait(false);
            var bad = columns.FirstOrDefault(c => c.Name.Length is 0 or > 127 || string.Equals(c.Name, LakeLoadStatements.JobColumn, StringComparison.OrdinalIgnoreCase));
            if (bad is not null)
            {
                throw new InvalidDataException($"Job {jobId}: the field name '{bad.Name}' cannot be a column (1 to 127 characters, not {LakeLoadStatements.JobColumn}).");
            }
            var sqls = LakeLoadStatements.Build(table, jobId, parts, columns, existing);
            var (rows, statementId) = await RunAsync(database, jobId, sqls, cancellationToken).ConfigureAwait(false);
            return new DatasetLoadResult(table, rows, statementId);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>The parts' columns as DuckDB detects them over every record, and the table's columns (none when it does not exist).</summary>
    private async Task<(List<LakeColumn> Lake, List<LakeColumn> Table)> DescribeAsync(string database, string table, IReadOnlyList<string> parts, CancellationToken cancellationToken)
    {
        await using var connection = await engine.OpenOrCreateAsync(database, cancellationToken).ConfigureAwait(false);
        var columns = await ReadColumnsAsync(connection, LakeLoadStatements.Probe(parts), [], cancellationToken).ConfigureAwait(false);
        var existing = await ReadColumnsAsync(connection,
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_catalog = current_database() AND table_schema = 'main' AND table_name = $1 ORDER BY ordinal_position",
            [table], cancellationToken).ConfigureAwait(false);
        return (columns, existing);
    }

    private static async Task<List<LakeColumn>> ReadColumnsAsync(DuckDBConnection connection, string sql, object[] parameters, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new DuckDBParameter(parameter));
        }
        var columns = new List<LakeColumn>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            columns.Add(new LakeColumn(reader.GetString(0), reader.GetString(1)));
        }
        return columns;
    }

    /// <summary>Submits the load as one batch statement and waits for its end; the rows the batch's INSERT loaded.</summary>
    private async Task<(long Rows, string StatementId)> RunAsync(string database, string jobId, IReadOnlyList<string> sqls, CancellationToken cancellationToken)
    {
        var statementId = Guid.NewGuid().ToString();
        var end = ends.Expect(statementId);
        try
        {
            await statements.SubmitAsync(new StatementSubmission(Caller, database, sqls, IsBatch: true, [], StatementName: "load-job-" + jobId, StatementId: statementId))
                .ConfigureAwait(false);
        }
        catch (QueryException exception)
        {
            ends.Forget(statementId);
            // A full quota or a state store that cannot record the statement passes; a refused statement does not.
            throw new DatasetLoadException($"The load statement was refused: {exception.Message}", exception.Type != QueryErrorType.ValidationException);
        }
        StatementTransition ended;
        try
        {
            ended = await end.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            ends.Forget(statementId);
            throw;
        }
        return ended.Status switch
        {
            StatementStatus.Finished => (ended.ResultRows, statementId),
            // Another writer changed the table at the same time: the next attempt sees its change.
            StatementStatus.Failed => throw new DatasetLoadException(ended.Error ?? "The load statement failed.", (ended.Error ?? "").Contains("conflict", StringComparison.OrdinalIgnoreCase), statementId),
            _ => throw new DatasetLoadException(ended.Error ?? "The load statement was aborted.", retryable: true, statementId),
        };
    }

    [GeneratedRegex(@"^part-[A-Za-z0-9_.-]+\.ndjson$")]
    private static partial Regex PartName();
}
