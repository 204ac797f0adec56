using System.Data.Common;
using System.Globalization;
using Google.Protobuf;
using Sluice.Query.Statements;
using Sluice.Query.V1;

namespace Sluice.Query.Engines;

/// <summary>Conversions from engine values to the Data API's typed field union.</summary>
internal static class FieldValues
{
    public static readonly Field Null = new() { IsNull = true };

    public static Field From(object? value) => value switch
    {
        null or DBNull => Null,
        bool b => new Field { BooleanValue = b },
        long l => new Field { LongValue = l },
        int i => new Field { LongValue = i },
        short s => new Field { LongValue = s },
        byte b => new Field { LongValue = b },
        double d => new Field { DoubleValue = d },
        float f => new Field { DoubleValue = f },
        // Exact numerics travel as text, as the Data API returns DECIMAL columns.
        decimal m => new Field { StringValue = m.ToString(CultureInfo.InvariantCulture) },
        string s => new Field { StringValue = s },
        byte[] bytes => new Field { BlobValue = ByteString.CopyFrom(bytes) },
        DateTime t => new Field { StringValue = FormatTimestamp(t) },
        DateTimeOffset t => new Field { StringValue = t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.FFFFFF", CultureInfo.InvariantCulture) + "+00" },
        DateOnly d => new Field { StringValue = d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) },
        TimeOnly t => new Field { StringValue = t.ToString("HH:mm:ss.FFFFFF", CultureInfo.InvariantCulture) },
        TimeSpan t => new Field { StringValue = t.ToString("c", CultureInfo.InvariantCulture) },
        IFormattable f => new Field { StringValue = f.ToString(null, CultureInfo.InvariantCulture) },
        _ => new Field { StringValue = value.ToString() ?? "" },
    };

    /// <summary>
    /// Writes a non-null value of a column whose values are <paramref name="type"/> as the field <see cref="From"/> gives,
    /// through the reader's typed getter for the common types (no boxing, no field object), else through
    /// <see cref="From"/>.
    /// </summary>
    public static Action<DbDataReader, int, ResultRecordEncoder> WriterFor(Type type) =>
        type == typeof(long) ? static (reader, i, record) => record.WriteLong(reader.GetInt64(i))
        : type == typeof(int) ? static (reader, i, record) => record.WriteLong(reader.GetInt32(i))
        : type == typeof(short) ? static (reader, i, record) => record.WriteLong(reader.GetInt16(i))
        : type == typeof(bool) ? static (reader, i, record) => record.WriteBoolean(reader.GetBoolean(i))
        : type == typeof(double) ? static (reader, i, record) => record.WriteDouble(reader.GetDouble(i))
        : type == typeof(string) ? static (reader, i, record) => record.WriteString(reader.GetString(i))
        // Both of FormatTimestamp's forms: at midnight its second form gives the first too.
        : type == typeof(DateTime) ? static (reader, i, record) => record.WriteTimestamp(reader.GetDateTime(i))
        : static (reader, i, record) => record.Write(From(reader.GetValue(i)));

    private static string FormatTimestamp(DateTime t) =>
        t.TimeOfDay == TimeSpan.Zero && t.Kind == DateTimeKind.Unspecified
            ? t.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)
            : t.ToString("yyyy-MM-dd HH:mm:ss.FFFFFF", CultureInfo.InvariantCulture).TrimEnd('.');
}
