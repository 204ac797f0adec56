using System.Text.Json;
using Parquet;
using Parquet.Schema;

namespace Sluice.Ingestion.Landing;

/// <summary>
/// Turns an NDJSON part into Parquet with a source's curated schema: first the fields the schema
/// lacks are observed, then (with the schema grown by them) each record is written as a row. A
/// record's top-level fields are its columns; a value that does not fit its column, a field without
/// one (unless null), and a record that is not an object go to <see cref="CuratedSchema.RescuedColumn"/>.
/// </summary>
internal static class ParquetPart
{
    /// <summary>A row group ends at this many rows or NDJSON bytes, whichever comes first, to bound memory.</summary>
    private const int RowGroupRows = 65_536;
    private const long RowGroupBytes = 16L * 1024 * 1024;

    /// <summary>The fields of <paramref name="ndjson"/> that <paramref name="schema"/> has no column for, with the kinds of their values, in order of first sight.</summary>
    public static IReadOnlyList<(string Name, ValueKinds Kinds)> Observe(Stream ndjson, CuratedSchema schema)
    {
        var observed = new Dictionary<string, ValueKinds>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (var (_, line) in NdjsonLines.Read(ndjson))
        {
            if (line.IsEmpty)
            {
                continue;
            }
            using var record = JsonDocument.Parse(line);
            if (record.RootElement.ValueKind != JsonValueKind.Object)
            {
                continue;
            }
            foreach (var field in record.RootElement.EnumerateObject())
            {
                if (schema.IndexOf(field.Name) >= 0 || !schema.CanAdd(field.Name))
                {
                    continue;
                }
                if (!observed.TryGetValue(field.Name, out var kinds))
                {
                    order.Add(field.Name);
                }
                observed[field.Name] = kinds | CuratedSchema.KindOf(field.Value);
            }
        }
        return [.. order.Select(name => (name, observed[name]))];
    }

    /// <summary>Writes every record of <paramref name="ndjson"/> to <paramref name="output"/> (seekable) as Parquet; returns the rows written.</summary>
    public static async Task<long> WriteAsync(Stream ndjson, CuratedSchema schema, Stream output, CancellationToken cancellationToken)
    {
        var columns = schema.Columns.Select(ColumnBuffer.For).ToArray();
        var rescued = new StringColumn(new DataField<string>(CuratedSchema.RescuedColumn, nullable: true), CuratedType.Json);
        var parquetSchema = new ParquetSchema([.. columns.Select(c => c.Field), rescued.Field]);
        var filled = new bool[columns.Length];
        var rescueBuffer = new MemoryStream();
        await using var rescueWriter = new Utf8JsonWriter(rescueBuffer);
        long rows = 0;
        await using (var writer = await ParquetWriter.CreateAsync(parquetSchema, output, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            int groupRows = 0;
            long groupBytes = 0;
            foreach (var (_, line) in NdjsonLines.Read(ndjson))
            {
                if (line.IsEmpty)
                {
                    continue;
                }
                using (var record = JsonDocument.Parse(line))
                {
                    Array.Clear(filled);
                    rescueBuffer.SetLength(0);
                    rescueWriter.Reset(rescueBuffer);
                    var root = record.RootElement;
                    string? rescuedText;
                    if (root.ValueKind == JsonValueKind.Object)
                    {
                        var anyRescued = false;
                        foreach (var field in root.EnumerateObject())
                        {
                            var index = schema.IndexOf(field.Name);
                            if (index >= 0 && !filled[index] && columns[index].TryAdd(field.Value))
                            {
                                filled[index] = true;
                                continue;
                            }
                            if (field.Value.ValueKind == JsonValueKind.Null)
                            {
                                // Nothing to keep: a null outside a column reads the same as an absent field.
                                continue;
                            }
                            if (!anyRescued)
                            {
                                rescueWriter.WriteStartObject();
                                anyRescued = true;
                            }
                            field.WriteTo(rescueWriter);
                        }
                        if (anyRescued)
                        {
                            rescueWriter.WriteEndObject();
                        }
                        rescueWriter.Flush();
                        rescuedText = anyRescued ? System.Text.Encoding.UTF8.GetString(rescueBuffer.GetBuffer(), 0, (int)rescueBuffer.Length) : null;
                    }
                    else
                    {
                        // Not an object: no field to put in a column, so the record is kept whole.
                        rescuedText = root.GetRawText();
                    }
                    for (var i = 0; i < columns.Length; i++)
                    {
                        if (!filled[i])
                        {
                            columns[i].AddNull();
                        }
                    }
                    rescued.Add(rescuedText);
                }
                rows++;
                groupRows++;
                groupBytes += line.Length + 1;
                if (groupRows == RowGroupRows || groupBytes >= RowGroupBytes)
                {
                    await WriteRowGroupAsync(writer, columns, rescued, cancellationToken).ConfigureAwait(false);
                    groupRows = 0;
                    groupBytes = 0;
                }
            }
            if (groupRows > 0)
            {
                await WriteRowGroupAsync(writer, columns, rescued, cancellationToken).ConfigureAwait(false);
            }
        }
        return rows;
    }

    private static async Task WriteRowGroupAsync(ParquetWriter writer, ColumnBuffer[] columns, StringColumn rescued, CancellationToken cancellationToken)
    {
        using var group = writer.CreateRowGroup();
        foreach (var column in columns)
        {
            await column.WriteAsync(group, cancellationToken).ConfigureAwait(false);
        }
        await rescued.WriteAsync(group, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One column's values of the current row group.</summary>
    private abstract class ColumnBuffer(DataField field)
    {
        public DataField Field { get; } = field;

        public static ColumnBuffer For(CuratedColumn column) => column.Type switch
        {
            CuratedType.Boolean => new ValueColumn<bool>(new DataField<bool?>(column.Name), v => v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : null),
            CuratedType.Int64 => new ValueColumn<long>(new DataField<long?>(column.Name), v => v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n) ? n : null),
            CuratedType.Double => new ValueColumn<double>(new DataField<double?>(column.Name), v => v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out var d) && double.IsFinite(d) ? d : null),
            _ => new StringColumn(new DataField<string>(column.Name, nullable: true), column.Type),
        };

        /// <summary>Adds the value when it fits the column's type (a JSON null always does); false leaves the column as it was.</summary>
        public bool TryAdd(JsonElement value)
        {
            if (value.ValueKind == JsonValueKind.Null)
            {
                AddNull();
                return true;
            }
            return TryAddValue(value);
        }

        protected abstract bool TryAddValue(JsonElement value);

        public abstract void AddNull();

        /// <summary>Writes the buffered values as the row group's column and empties the buffer.</summary>
        public abstract Task WriteAsync(ParquetRowGroupWriter group, CancellationToken cancellationToken);
    }

    private sealed class ValueColumn<T>(DataField field, Func<JsonElement, T?> convert) : ColumnBuffer(field) where T : struct
    {
        private readonly List<T?> _values = [];

        protected override bool TryAddValue(JsonElement value)
        {
            if (convert(value) is not { } converted)
            {
                return false;
            }
            _values.Add(converted);
            return true;
        }

        public override void AddNull() => _values.Add(null);

        public override async Task WriteAsync(ParquetRowGroupWriter group, CancellationToken cancellationToken)
        {
            await group.WriteAsync<T>(Field, _values.ToArray(), cancellationToken: cancellationToken).ConfigureAwait(false);
            _values.Clear();
        }
    }

    /// <summary>A String column takes scalars (numbers and booleans as their JSON text); a Json column takes any value as its JSON text.</summary>
    private sealed class StringColumn(DataField field, CuratedType type) : ColumnBuffer(field)
    {
        private readonly List<string> _values = [];

        protected override bool TryAddValue(JsonElement value)
        {
            string? text = type == CuratedType.Json ? value.GetRawText() : value.ValueKind switch
            {
                JsonValueKind.String => value.GetString(),
                JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => value.GetRawText(),
                _ => null,
            };
            if (text is null)
            {
                return false;
            }
            _values.Add(text);
            return true;
        }

        public override void AddNull() => _values.Add(null!);

        public void Add(string? text) => _values.Add(text!);

        public override async Task WriteAsync(ParquetRowGroupWriter group, CancellationToken cancellationToken)
        {
            await group.WriteAsync(Field, _values.ToArray()).ConfigureAwait(false);
            _values.Clear();
        }
    }
}
