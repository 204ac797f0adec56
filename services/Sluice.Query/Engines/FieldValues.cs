using System.Globalization;
using Google.Protobuf;
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

    private static string FormatTimestamp(DateTime t) =>
        t.TimeOfDay == TimeSpan.Zero && t.Kind == DateTimeKind.Unspecified
            ? t.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)
            : t.ToString("yyyy-MM-dd HH:mm:ss.FFFFFF", CultureInfo.InvariantCulture).TrimEnd('.');
}
