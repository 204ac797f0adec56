using DuckDB.NET.Data;
using Parquet;
using Parquet.Schema;

namespace Sluice.Ingestion.Tests;

/// <summary>Reading the curated zone back: with Parquet.Net (the writer's library) and with DuckDB, an independent reader.</summary>
public static class ParquetFiles
{
    /// <summary>A file's columns (name and CLR type) and its rows (name to value), through Parquet.Net's reader.</summary>
    public static async Task<(List<(string Name, Type Type)> Columns, List<Dictionary<string, object?>> Rows)> ReadAsync(string path)
    {
        await using var stream = File.OpenRead(path);
        await using var reader = await ParquetReader.CreateAsync(stream);
        var fields = reader.Schema.GetDataFields();
        // Parquet.Net gives UTF-8 columns as ReadOnlyMemory<char>; they are strings to a user.
        var columns = fields.Select(f => (f.Name, f.ClrType == typeof(ReadOnlyMemory<char>) ? typeof(string) : f.ClrType)).ToList();
        var rows = new List<Dictionary<string, object?>>();
        for (var group = 0; group < reader.RowGroupCount; group++)
        {
            using var rowGroup = reader.OpenRowGroupReader(group);
            var count = (int)rowGroup.RowCount;
            var start = rows.Count;
            for (var i = 0; i < count; i++)
            {
                rows.Add(new Dictionary<string, object?>(StringComparer.Ordinal));
            }
            foreach (var field in fields)
            {
                object?[] values = field.ClrType switch
                {
                    var t when t == typeof(long) => (await ReadValues<long>(rowGroup, field, count)).Cast<object?>().ToArray(),
                    var t when t == typeof(double) => (await ReadValues<double>(rowGroup, field, count)).Cast<object?>().ToArray(),
                    var t when t == typeof(bool) => (await ReadValues<bool>(rowGroup, field, count)).Cast<object?>().ToArray(),
                    var t when t == typeof(string) || t == typeof(ReadOnlyMemory<char>) => await ReadStrings(rowGroup, field, count),
                    var t => throw new InvalidOperationException($"Column {field.Name} has the unexpected type {t}."),
                };
                for (var i = 0; i < count; i++)
                {
                    rows[start + i][field.Name] = values[i];
                }
            }
        }
        return (columns, rows);
    }

    private static async Task<T?[]> ReadValues<T>(ParquetRowGroupReader rowGroup, DataField field, int count) where T : struct
    {
        var values = new T?[count];
        await rowGroup.ReadAsync<T>(field, values.AsMemory());
        return values;
    }

    private static async Task<object?[]> ReadStrings(ParquetRowGroupReader rowGroup, DataField field, int count)
    {
        var values = new string?[count];
        await rowGroup.ReadAsync(field, values.AsMemory());
        return [.. values];
    }

    /// <summary>
    /// Runs <paramref name="sql"/> in an in-memory DuckDB; {files} is replaced by a read_parquet over
    /// <paramref name="paths"/> (union by name, without the ingest_date column DuckDB would add from
    /// the Hive-style folders).
    /// </summary>
    public static List<object?[]> Query(string sql, IEnumerable<string> paths)
    {
        var list = string.Join(", ", paths.Select(p => "'" + p.Replace("'", "''") + "'"));
        using var connection = new DuckDBConnection("DataSource=:memory:");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql.Replace("{files}", $"read_parquet([{list}], union_by_name = true, hive_partitioning = false)");
        using var reader = command.ExecuteReader();
        var rows = new List<object?[]>();
        while (reader.Read())
        {
            var row = new object?[reader.FieldCount];
            for (var i = 0; i < row.Length; i++)
            {
                row[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            }
            rows.Add(row);
        }
        return rows;
    }

    /// <summary>"name TYPE" of each column, in order, as DESCRIBE gives them.</summary>
    public static List<string> DuckDbTypes(IEnumerable<string> paths) =>
        [.. Query("DESCRIBE SELECT * FROM {files}", paths).Select(r => $"{r[0]} {r[1]}")];
}
