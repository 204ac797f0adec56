using System.Globalization;
using System.Text;
using Sluice.Query.V1;

namespace Sluice.Query.Statements;

/// <summary>
/// Writes result records as CSV text for GetStatementResultV2: RFC 4180 quoting (a value holding a
/// comma, quote, CR or LF is quoted, quotes doubled), one row per line ending in LF, NULL as an
/// empty value, booleans as true/false, numbers in invariant culture, bytes as base64.
/// </summary>
internal static class CsvRecords
{
    public static string Format(IReadOnlyList<ColumnMetadata> columns, IReadOnlyList<Record> records, bool withHeader)
    {
        if (records.Count == 0 && !withHeader)
        {
            return "";
        }
        var text = new StringBuilder();
        if (withHeader && columns.Count > 0)
        {
            for (var i = 0; i < columns.Count; i++)
            {
                AppendSeparator(text, i);
                AppendText(text, columns[i].Name);
            }
            text.Append('\n');
        }
        foreach (var record in records)
        {
            for (var i = 0; i < record.Fields.Count; i++)
            {
                AppendSeparator(text, i);
                AppendField(text, record.Fields[i]);
            }
            text.Append('\n');
        }
        return text.ToString();
    }

    private static void AppendSeparator(StringBuilder text, int index)
    {
        if (index > 0)
        {
            text.Append(',');
        }
    }

    private static void AppendField(StringBuilder text, Field field)
    {
        switch (field.ValueCase)
        {
            case Field.ValueOneofCase.BooleanValue:
                text.Append(field.BooleanValue ? "true" : "false");
                break;
            case Field.ValueOneofCase.LongValue:
                text.Append(field.LongValue.ToString(CultureInfo.InvariantCulture));
                break;
            case Field.ValueOneofCase.DoubleValue:
                text.Append(field.DoubleValue.ToString("R", CultureInfo.InvariantCulture));
                break;
            case Field.ValueOneofCase.StringValue:
                AppendText(text, field.StringValue);
                break;
            case Field.ValueOneofCase.BlobValue:
                text.Append(field.BlobValue.ToBase64());
                break;
            default:
                // NULL (is_null) or an unset field: an empty value.
                break;
        }
    }

    private static void AppendText(StringBuilder text, string value)
    {
        if (value.AsSpan().IndexOfAny(",\"\r\n") < 0)
        {
            text.Append(value);
            return;
        }
        text.Append('"').Append(value.Replace("\"", "\"\"", StringComparison.Ordinal)).Append('"');
    }
}
