using System.Collections.Concurrent;
using System.Data.Common;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Sluice.ObjectStore;
using Sluice.Query.Engines;
using Sluice.Query.V1;

namespace Sluice.Query.Loading;

/// <summary>
/// The load on engines other than DuckDB's lake (the PostgreSQL warehouse; DuckDB with
/// Sluice:Query:LakeEnabled off): reads a landed dataset's NDJSON parts in C# and loads them into
/// the table named after its source, in one transaction on the engine's connection (not a
/// statement of the statement manager). The table is created if absent,
/// with a column per top-level field typed from the
/// records (BIGINT, DOUBLE PRECISION, BOOLEAN, TEXT; objects and arrays as JSON text), and a
/// _job_id column. An existing table keeps its types (new fields are added as columns), and the
/// job's earlier rows are replaced, so a redelivered event loads once. Loads into one table run
/// one at a time: two first loads would both create the table, and concurrent writers of one
/// table conflict (the loser's rows would be lost).
/// </summary>
internal sealed class DatasetLoader(ISqlEngine engine, IObjectStore objects, IOptions<DatasetLoadingOptions> options) : IDatasetLoader
{
    private const string JobColumn = "_job_id";

    private readonly ConcurrentDictionary<string, SemaphoreSlim> _tables = new(StringComparer.Ordinal);

    public async Task<DatasetLoadResult> LoadAsync(string jobId, string source, IReadOnlyList<string> keys, CancellationToken cancellationToken)
    {
        if (engine is not IConnectionSqlEngine sql)
        {
            throw new InvalidOperationException("The configured warehouse engine cannot load datasets yet: only engines Sluice connects to itself (DuckDB, PostgreSQL) can.");
        }
        var table = source.Replace('-', '_');
        var database = options.Value.Database ?? engine.DefaultDatabase ?? "dev";
        var gate = _tables.GetOrAdd(database + "\n" + table, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return new DatasetLoadResult(table, await LoadIntoAsync(sql, database, table, jobId, keys, cancellationToken).ConfigureAwait(false), StatementId: null);
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task<long> LoadIntoAsync(IConnectionSqlEngine sql, string database, string table, string jobId, IReadOnlyList<string> keys, CancellationToken cancellationToken)
    {
        var inferred = await InferAsync(keys, cancellationToken).ConfigureAwait(false);
        var existing = await engine.DescribeTableAsync(database, null, table, cancellationToken).ConfigureAwait(false);
        var columns = existing.Count == 0
            ? inferred.Select(c => (c.Key, c.Value)).ToList()
            : [.. existing.Where(c => c.Name != JobColumn).Select(c => (c.Name, KindOf(c.TypeName))),
               .. inferred.Where(c => existing.All(e => e.Name != c.Key)).Select(c => (c.Key, c.Value))];
        var added = inferred.Keys.Where(name => existing.Count > 0 && existing.All(e => e.Name != name)).ToList();

        Task<long> Run() => WriteAsync(sql, database, table, jobId, keys, columns, existing.Count == 0, added, cancellationToken);
        return sql.BlocksCallingThread
            ? await Task.Factory.StartNew(Run, cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap().ConfigureAwait(false)
            : await Run().ConfigureAwait(false);
    }

    private async Task<long> WriteAsync(IConnectionSqlEngine sql, string database, string table, string jobId, IReadOnlyList<string> keys,
        List<(string Name, ColumnKind Kind)> columns, bool create, List<string> added, CancellationToken cancellationToken)
    {
        await using var connection = await sql.OpenAsync(database, cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        if (create)
        {
            var definitions = string.Join(", ", columns.Select(c => $"{Quote(c.Name)} {TypeName(c.Kind)}"));
            await ExecuteAsync(sql, connection, transaction, $"CREATE TABLE {Quote(table)} ({Quote(JobColumn)} TEXT{(definitions.Length > 0 ? ", " + definitions : "")})", [], cancellationToken).ConfigureAwait(false);
        }
        else
        {
            foreach (var name in added)
            {
                var kind = columns.First(c => c.Name == name).Kind;
                await ExecuteAsync(sql, connection, transaction, $"ALTER TABLE {Quote(table)} ADD COLUMN {Quote(name)} {TypeName(kind)}", [], cancellationToken).ConfigureAwait(false);
            }
            await ExecuteAsync(sql, connection, transaction, $"DELETE FROM {Quote(table)} WHERE {Quote(JobColumn)} = :job", [new SqlParameter { Name = "job", Value = jobId }], cancellationToken).ConfigureAwait(false);
        }

        var header = $"INSERT INTO {Quote(table)} ({string.Join(", ", [Quote(JobColumn), .. columns.Select(c => Quote(c.Name))])}) VALUES ";
        var batch = new StringBuilder();
        var parameters = new List<SqlParameter>();
        var rowsInBatch = 0;
        long rows = 0;
        foreach (var key in keys)
        {
            await foreach (var line in ReadLinesAsync(key, cancellationToken).ConfigureAwait(false))
            {
                using var document = JsonDocument.Parse(line);
                batch.Append(rowsInBatch == 0 ? header : ", ").Append('(').Append(Parameter(parameters, jobId, "TEXT"));
                foreach (var (name, kind) in columns)
                {
                    batch.Append(", ").Append(Value(document.RootElement, name, kind, parameters));
                }
                batch.Append(')');
                rows++;
                if (++rowsInBatch >= options.Value.BatchRows)
                {
                    await ExecuteAsync(sql, connection, transaction, batch.ToString(), parameters, cancellationToken).ConfigureAwait(false);
                    batch.Clear();
                    parameters.Clear();
                    rowsInBatch = 0;
                }
            }
        }
        if (rowsInBatch > 0)
        {
            await ExecuteAsync(sql, connection, transaction, batch.ToString(), parameters, cancellationToken).ConfigureAwait(false);
        }
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return rows;
    }

    private static string Value(JsonElement record, string name, ColumnKind kind, List<SqlParameter> parameters)
    {
        if (!record.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return "NULL";
        }
        return (kind, value.ValueKind) switch
        {
            (ColumnKind.Boolean, JsonValueKind.True) => "TRUE",
            (ColumnKind.Boolean, JsonValueKind.False) => "FALSE",
            (ColumnKind.Text, JsonValueKind.String) => Parameter(parameters, value.GetString()!, "TEXT"),
            (ColumnKind.Text, _) => Parameter(parameters, value.GetRawText(), "TEXT"),
            (_, JsonValueKind.String) => Parameter(parameters, value.GetString()!, TypeName(kind)),
            _ => Parameter(parameters, value.GetRawText(), TypeName(kind)),
        };
    }

    private static string Parameter(List<SqlParameter> parameters, string value, string type)
    {
        var name = "p" + parameters.Count;
        parameters.Add(new SqlParameter { Name = name, Value = value });
        return $"CAST(:{name} AS {type})";
    }

    private static async Task ExecuteAsync(IConnectionSqlEngine sql, DbConnection connection, DbTransaction transaction, string text, List<SqlParameter> parameters, CancellationToken cancellationToken)
    {
        await using var command = sql.CreateCommand(connection, text, parameters);
        command.Transaction = transaction;
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Column kinds from every record of every part, in order of first appearance.</summary>
    private async Task<Dictionary<string, ColumnKind>> InferAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken)
    {
        var kinds = new Dictionary<string, ColumnKind>(StringComparer.Ordinal);
        foreach (var key in keys)
        {
            await foreach (var line in ReadLinesAsync(key, cancellationToken).ConfigureAwait(false))
            {
                using var document = JsonDocument.Parse(line);
                if (document.RootElement.ValueKind != JsonValueKind.Object)
                {
                    throw new InvalidDataException($"{key}: a record is not a JSON object, so it has no columns.");
                }
                foreach (var property in document.RootElement.EnumerateObject())
                {
                    if (property.Name.Length is 0 or > 63 || property.Name == JobColumn)
                    {
                        throw new InvalidDataException($"{key}: the field name '{property.Name}' cannot be a column (1 to 63 characters, not {JobColumn}).");
                    }
                    var kind = property.Value.ValueKind switch
                    {
                        JsonValueKind.Null => (ColumnKind?)null,
                        JsonValueKind.True or JsonValueKind.False => ColumnKind.Boolean,
                        JsonValueKind.Number => property.Value.TryGetInt64(out _) ? ColumnKind.Integer : ColumnKind.Double,
                        _ => ColumnKind.Text,
                    };
                    if (kind is null)
                    {
                        kinds.TryAdd(property.Name, ColumnKind.Unknown);
                        continue;
                    }
                    kinds[property.Name] = kinds.TryGetValue(property.Name, out var seen) ? Merge(seen, kind.Value) : kind.Value;
                }
            }
        }
        foreach (var name in kinds.Where(k => k.Value == ColumnKind.Unknown).Select(k => k.Key).ToList())
        {
            kinds[name] = ColumnKind.Text; // Only nulls seen.
        }
        return kinds;
    }

    private async IAsyncEnumerable<string> ReadLinesAsync(string key, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var stream = await objects.OpenReadAsync(key, cancellationToken).ConfigureAwait(false);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            if (line.Length > 0)
            {
                yield return line;
            }
        }
    }

    private static ColumnKind Merge(ColumnKind a, ColumnKind b) => a == b || b == ColumnKind.Unknown ? a
        : a == ColumnKind.Unknown ? b
        : (a, b) is (ColumnKind.Integer, ColumnKind.Double) or (ColumnKind.Double, ColumnKind.Integer) ? ColumnKind.Double
        : ColumnKind.Text;

    /// <summary>An existing column's kind from the engine's type name, so a table keeps its types across runs.</summary>
    private static ColumnKind KindOf(string typeName)
    {
        var type = typeName.ToUpperInvariant();
        return type.Contains("INT") ? ColumnKind.Integer
            : type.Contains("DOUB") || type.Contains("FLOAT") || type.Contains("REAL") || type.Contains("NUMERIC") || type.Contains("DECIMAL") ? ColumnKind.Double
            : type.Contains("BOOL") ? ColumnKind.Boolean
            : ColumnKind.Text;
    }

    private static string TypeName(ColumnKind kind) => kind switch
    {
        ColumnKind.Integer => "BIGINT",
        ColumnKind.Double => "DOUBLE PRECISION",
        ColumnKind.Boolean => "BOOLEAN",
        _ => "TEXT",
    };

    private static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"") + "\"";

    private enum ColumnKind { Unknown, Integer, Double, Boolean, Text }
}
