using System.Globalization;
using System.Text.Json;
using Sluice.Query.V1;

namespace Sluice.Contracts.Query;

/// <summary>
/// Writes the records of a statement's result as JSON objects keyed by column: what the gateway's sql integration sends
/// its callers and what the validation service loads a warehouse table from. Decimals keep their digits.
/// </summary>
public static class StatementRowsJson
{
    private static readonly ReadOnlyMemory<byte> NewLine = "\n"u8.ToArray();

    /// <summary>The JSON member names of the columns: each column's label, else its name.</summary>
    public static string[] ColumnNames(ResultMetadata metadata) =>
        [.. metadata.ColumnMetadata.Select(c => string.IsNullOrEmpty(c.Label) ? c.Name : c.Label)];

    /// <summary>Per column, whether it is numeric(p,s)/decimal, whose values the Data API sends as text to keep them exact.</summary>
    public static bool[] ExactNumbers(ResultMetadata metadata) =>
        [.. metadata.ColumnMetadata.Select(c => IsExactNumeric(c.TypeName))];

    public static bool IsExactNumeric(string typeName) =>
        typeName.StartsWith("numeric", StringComparison.OrdinalIgnoreCase) || typeName.StartsWith("decimal", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Writes a StreamStatementResult call's rows to <paramref name="output"/>: a JSON array of objects, or NDJSON (one
    /// object a line). After each batch the output is flushed and <paramref name="afterBatch"/> runs (to bound what was
    /// written, say); an exception from it ends the writing.
    /// </summary>
    public static async Task WriteRowsAsync(Grpc.Core.IAsyncStreamReader<StreamStatementResultResponse> results, Stream output, bool ndjson,
        Action? afterBatch, CancellationToken cancellationToken)
    {
        string[] columns = [];
        bool[] exactNumbers = [];
        await using var writer = new Utf8JsonWriter(output, new JsonWriterOptions { SkipValidation = true });
        if (!ndjson)
        {
            writer.WriteStartArray();
        }
        while (await results.MoveNext(cancellationToken).ConfigureAwait(false))
        {
            var message = results.Current;
            if (message.PayloadCase == StreamStatementResultResponse.PayloadOneofCase.Metadata)
            {
                columns = ColumnNames(message.Metadata);
                exactNumbers = ExactNumbers(message.Metadata);
                continue;
            }
            foreach (var record in message.Batch.Records)
            {
                WriteRecord(writer, record, columns, exactNumbers);
                if (ndjson)
                {
                    await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
                    await output.WriteAsync(NewLine, cancellationToken).ConfigureAwait(false);
                    writer.Reset(output);
                }
            }
            await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
            await output.FlushAsync(cancellationToken).ConfigureAwait(false);
            afterBatch?.Invoke();
        }
        if (!ndjson)
        {
            writer.WriteEndArray();
        }
        await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One record as a JSON object; a field beyond the known columns is named col{n} (1-based).</summary>
    public static void WriteRecord(Utf8JsonWriter writer, Record record, string[] columns, bool[] exactNumbers)
    {
        writer.WriteStartObject();
        for (var i = 0; i < record.Fields.Count; i++)
        {
            writer.WritePropertyName(i < columns.Length ? columns[i] : "col" + (i + 1).ToString(CultureInfo.InvariantCulture));
            WriteField(writer, record.Fields[i], i < exactNumbers.Length && exactNumbers[i]);
        }
        writer.WriteEndObject();
    }

    private static void WriteField(Utf8JsonWriter writer, Field field, bool exactNumber)
    {
        // A decimal's text goes out as a JSON number with the same digits (100.10 stays 100.10),
        // so callers get a number without a round trip through a double.
        if (exactNumber && field.ValueCase == Field.ValueOneofCase.StringValue && IsJsonNumber(field.StringValue))
        {
            writer.WriteRawValue(field.StringValue, skipInputValidation: true);
            return;
        }

        switch (field.ValueCase)
        {
            case Field.ValueOneofCase.BooleanValue:
                writer.WriteBooleanValue(field.BooleanValue);
                break;
            case Field.ValueOneofCase.LongValue:
                writer.WriteNumberValue(field.LongValue);
                break;
            case Field.ValueOneofCase.DoubleValue when double.IsFinite(field.DoubleValue):
                writer.WriteNumberValue(field.DoubleValue);
                break;
            case Field.ValueOneofCase.DoubleValue:
                // JSON has no NaN or Infinity: they go out as the text PostgreSQL gives them.
                writer.WriteStringValue(double.IsNaN(field.DoubleValue) ? "NaN" : field.DoubleValue > 0 ? "Infinity" : "-Infinity");
                break;
            case Field.ValueOneofCase.StringValue:
                writer.WriteStringValue(field.StringValue);
                break;
            case Field.ValueOneofCase.BlobValue:
                writer.WriteBase64StringValue(field.BlobValue.Span);
                break;
            default:
                writer.WriteNullValue();
                break;
        }
    }

    /// <summary>-?digits[.digits]: the form of a decimal's text that is also a JSON number.</summary>
    private static bool IsJsonNumber(string text)
    {
        var digits = text.AsSpan(text.StartsWith('-') ? 1 : 0);
        var point = digits.IndexOf('.');
        var whole = point < 0 ? digits : digits[..point];
        var fraction = point < 0 ? "0" : digits[(point + 1)..];
        return whole.Length > 0 && fraction.Length > 0 && (whole.Length == 1 || whole[0] != '0')
            && !whole.ContainsAnyExceptInRange('0', '9') && !fraction.ContainsAnyExceptInRange('0', '9');
    }
}
