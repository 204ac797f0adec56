using System.Data;
using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using DuckDB.NET.Data;
using Google.Protobuf;
using Sluice.Query.Statements;
using Sluice.Query.V1;

namespace Sluice.Query.Engines.DuckDb;

/// <summary>How one DuckDB column travels: its Redshift type name and the Data API field its values fill.</summary>
internal enum DuckDbValueKind
{
    Boolean,
    Integer,
    Float,
    Double,
    Decimal,
    BigInteger,
    Text,
    Date,
    Timestamp,
    TimestampTz,
    Time,
    Interval,
    Bytes,
    Super,
}

/// <summary>
/// One result column: the Redshift type DuckDB's type stands for (int4, int8, numeric(p,s),
/// varchar, bool, date, timestamp, timestamptz, ...) and the conversion of its values to Data API
/// fields in the text forms Redshift returns.
/// </summary>
internal sealed record DuckDbColumn(string RedshiftType, DuckDbValueKind Kind, int Precision, int Scale)
{
    /// <summary>Maps DuckDB's type name (as GetDataTypeName or information_schema spells it) to Redshift's.</summary>
    public static DuckDbColumn FromDuckDbType(string duckType, int precision, int scale)
    {
        var name = duckType.ToUpperInvariant();
        var paren = name.IndexOf('(', StringComparison.Ordinal);
        var bare = (paren < 0 ? name : name[..paren]).Trim();
        if (bare.EndsWith("[]", StringComparison.Ordinal) || bare.StartsWith("STRUCT", StringComparison.Ordinal) || bare.StartsWith("MAP", StringComparison.Ordinal))
        {
            return new("super", DuckDbValueKind.Super, 0, 0);
        }
        return bare switch
        {
            "BOOLEAN" => new("bool", DuckDbValueKind.Boolean, 1, 0),
            // A result column's type comes as DuckDB.NET's DuckDBType name (UnsignedTinyInt), a catalog's as DuckDB's (UTINYINT).
            "TINYINT" or "SMALLINT" or "UTINYINT" or "UNSIGNEDTINYINT" => new("int2", DuckDbValueKind.Integer, 5, 0),
            "INTEGER" or "USMALLINT" or "UNSIGNEDSMALLINT" => new("int4", DuckDbValueKind.Integer, 10, 0),
            "BIGINT" or "UINTEGER" or "UNSIGNEDINTEGER" => new("int8", DuckDbValueKind.Integer, 19, 0),
            "UBIGINT" or "UNSIGNEDBIGINT" or "HUGEINT" or "UHUGEINT" or "UNSIGNEDHUGEINT" => new("numeric", DuckDbValueKind.BigInteger, 38, 0),
            "FLOAT" or "REAL" => new("float4", DuckDbValueKind.Float, 8, 0),
            "DOUBLE" => new("float8", DuckDbValueKind.Double, 17, 0),
            "DECIMAL" or "NUMERIC" => new("numeric", DuckDbValueKind.Decimal, precision, scale),
            "DATE" => new("date", DuckDbValueKind.Date, 13, 0),
            "TIMESTAMP" or "TIMESTAMP_S" or "TIMESTAMP_MS" or "TIMESTAMP_NS" or "TIMESTAMPS" or "TIMESTAMPMS" or "TIMESTAMPNS" or "DATETIME" => new("timestamp", DuckDbValueKind.Timestamp, 29, 6),
            "TIMESTAMPTZ" or "TIMESTAMP WITH TIME ZONE" => new("timestamptz", DuckDbValueKind.TimestampTz, 35, 6),
            "TIME" => new("time", DuckDbValueKind.Time, 15, 6),
            "TIMETZ" or "TIME WITH TIME ZONE" => new("timetz", DuckDbValueKind.Text, 21, 6),
            "INTERVAL" => new("interval", DuckDbValueKind.Interval, 49, 6),
            "BLOB" or "BYTEA" => new("varbyte", DuckDbValueKind.Bytes, 0, 0),
            "LIST" or "STRUCT" or "MAP" or "ARRAY" or "UNION" => new("super", DuckDbValueKind.Super, 0, 0),
            // VARCHAR, UUID, ENUM, BIT, JSON: text in Redshift.
            _ => new("varchar", DuckDbValueKind.Text, 0, 0),
        };
    }

    /// <summary>The Data API metadata of this column in a result.</summary>
    public ColumnMetadata ToMetadata(string name) => new()
    {
        Name = name,
        Label = name,
        TypeName = RedshiftType,
        // DuckDB does not tell whether an expression can be null; Redshift reports result columns
        // as nullable (1) too.
        Nullable = 1,
        Precision = Kind == DuckDbValueKind.Text ? 0 : Precision,
        Scale = Scale,
        IsSigned = Kind is DuckDbValueKind.Integer or DuckDbValueKind.Float or DuckDbValueKind.Double or DuckDbValueKind.Decimal or DuckDbValueKind.BigInteger,
        IsCaseSensitive = Kind is DuckDbValueKind.Text or DuckDbValueKind.Super,
        IsCurrency = false,
    };

    /// <summary>The value of column <paramref name="ordinal"/> of the current row as a Data API field.</summary>
    public Field Read(DbDataReader reader, int ordinal)
    {
        if (reader.IsDBNull(ordinal))
        {
            return FieldValues.Null;
        }
        return Kind switch
        {
            DuckDbValueKind.Boolean => new Field { BooleanValue = reader.GetBoolean(ordinal) },
            DuckDbValueKind.Integer => new Field { LongValue = Convert.ToInt64(reader.GetValue(ordinal), CultureInfo.InvariantCulture) },
            // float4 values keep their shortest decimal form (0.1, not 0.100000001490116).
            DuckDbValueKind.Float => new Field { DoubleValue = double.Parse(reader.GetFloat(ordinal).ToString("R", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture) },
            DuckDbValueKind.Double => new Field { DoubleValue = reader.GetDouble(ordinal) },
            DuckDbValueKind.Decimal => new Field { StringValue = FormatDecimal(reader.GetValue(ordinal)) },
            DuckDbValueKind.BigInteger => new Field { StringValue = Convert.ToString(reader.GetValue(ordinal), CultureInfo.InvariantCulture) },
            DuckDbValueKind.Date => new Field { StringValue = FormatDate(reader.GetValue(ordinal)) },
            DuckDbValueKind.Timestamp => new Field { StringValue = FormatTimestamp(reader.GetDateTime(ordinal)) },
            DuckDbValueKind.TimestampTz => new Field { StringValue = FormatTimestamp(ToUtc(reader.GetValue(ordinal))) + "+00" },
            DuckDbValueKind.Time => new Field { StringValue = FormatTime(reader.GetValue(ordinal)) },
            DuckDbValueKind.Interval => new Field { StringValue = FormatInterval(reader.GetValue(ordinal)) },
            DuckDbValueKind.Bytes => new Field { BlobValue = ReadBytes(reader.GetValue(ordinal)) },
            DuckDbValueKind.Super => new Field { StringValue = JsonSerializer.Serialize(reader.GetValue(ordinal)) },
            _ => new Field { StringValue = Convert.ToString(reader.GetValue(ordinal), CultureInfo.InvariantCulture) ?? "" },
        };
    }

    /// <summary>
    /// The .NET type DuckDB.NET reads this column's values as (a result's column, from its reader); null for a catalog
    /// column. It picks the typed getter <see cref="Write"/> uses.
    /// </summary>
    public Type? ValueType { get; init; }

    /// <summary>
    /// Writes the value of column <paramref name="ordinal"/> of the current row to <paramref name="record"/>: the field
    /// <see cref="Read"/> gives, encoded straight from a typed getter for the common kinds (no boxing, no field object,
    /// timestamps formatted into the encoding), through <see cref="Read"/> for the rest.
    /// </summary>
    public void Write(DbDataReader reader, int ordinal, ResultRecordEncoder record)
    {
        if (reader.IsDBNull(ordinal))
        {
            record.WriteNull();
            return;
        }
        switch (Kind)
        {
            case DuckDbValueKind.Boolean:
                record.WriteBoolean(reader.GetBoolean(ordinal));
                return;
            case DuckDbValueKind.Integer when ValueType == typeof(long):
                record.WriteLong(reader.GetInt64(ordinal));
                return;
            case DuckDbValueKind.Integer when ValueType == typeof(int):
                record.WriteLong(reader.GetInt32(ordinal));
                return;
            case DuckDbValueKind.Integer when ValueType == typeof(short):
                record.WriteLong(reader.GetInt16(ordinal));
                return;
            case DuckDbValueKind.Double:
                record.WriteDouble(reader.GetDouble(ordinal));
                return;
            case DuckDbValueKind.Text when ValueType == typeof(string):
                record.WriteString(reader.GetString(ordinal));
                return;
            case DuckDbValueKind.Timestamp when ValueType == typeof(DateTime):
                record.WriteTimestamp(reader.GetDateTime(ordinal));
                return;
            default:
                record.Write(Read(reader, ordinal));
                return;
        }
    }

    /// <summary>Redshift's text of a DECIMAL: always <see cref="Scale"/> digits after the point (100.10, not 100.1).</summary>
    private string FormatDecimal(object value) => value switch
    {
        decimal m => Scale > 0 ? m.ToString("F" + Scale.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture) : decimal.Truncate(m).ToString(CultureInfo.InvariantCulture),
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
    };

    private static string FormatDate(object value) => value switch
    {
        DateOnly d => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        DateTime t => t.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        // DuckDB's infinity and out-of-range dates arrive as its own struct; its text is DuckDB's.
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
    };

    /// <summary>Redshift's timestamp text: seconds always, a fraction only when there is one (2024-01-02 03:04:05.123).</summary>
    private static string FormatTimestamp(DateTime t) =>
        t.ToString(TimestampFormat, CultureInfo.InvariantCulture).TrimEnd('.');

    private const string TimestampFormat = "yyyy-MM-dd HH:mm:ss.FFFFFF";

    private static DateTime ToUtc(object value) => value switch
    {
        DateTimeOffset o => o.UtcDateTime,
        DateTime { Kind: DateTimeKind.Local } t => t.ToUniversalTime(),
        DateTime t => t,
        _ => throw new InvalidCastException($"A timestamptz value arrived as {value.GetType().Name}."),
    };

    private static string FormatTime(object value) => value switch
    {
        TimeOnly t => t.ToString("HH:mm:ss.FFFFFF", CultureInfo.InvariantCulture).TrimEnd('.'),
        TimeSpan t => TimeOnly.FromTimeSpan(t).ToString("HH:mm:ss.FFFFFF", CultureInfo.InvariantCulture).TrimEnd('.'),
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
    };

    /// <summary>PostgreSQL's interval text, as Redshift prints it: "1 day 02:03:04", "3 days", "00:00:05".</summary>
    private static string FormatInterval(object value)
    {
        if (value is not TimeSpan span)
        {
            return Convert.ToString(value, CultureInfo.InvariantCulture) ?? "";
        }
        var negative = span < TimeSpan.Zero;
        var abs = span.Duration();
        var days = abs.Days;
        var clock = new TimeSpan(0, abs.Hours, abs.Minutes, abs.Seconds).Add(TimeSpan.FromTicks(abs.Ticks % TimeSpan.TicksPerSecond));
        var sign = negative ? "-" : "";
        var dayText = days == 0 ? "" : string.Create(CultureInfo.InvariantCulture, $"{sign}{days} day{(days == 1 ? "" : "s")}");
        if (clock == TimeSpan.Zero && days != 0)
        {
            return dayText;
        }
        var clockText = sign + TimeOnly.FromTimeSpan(clock).ToString("HH:mm:ss.FFFFFF", CultureInfo.InvariantCulture).TrimEnd('.');
        return days == 0 ? clockText : dayText + " " + clockText;
    }

    private static ByteString ReadBytes(object value)
    {
        switch (value)
        {
            case byte[] bytes:
                return ByteString.CopyFrom(bytes);
            case Stream stream:
                using (stream)
                {
                    return ByteString.FromStream(stream);
                }
            default:
                return ByteString.CopyFromUtf8(Convert.ToString(value, CultureInfo.InvariantCulture) ?? "");
        }
    }

    /// <summary>The columns of a reader's result, from its schema table (which carries DECIMAL precision and scale).</summary>
    public static DuckDbColumn[] Describe(DuckDBDataReader reader)
    {
        var columns = new DuckDbColumn[reader.FieldCount];
        DataTable? schema = null;
        for (var i = 0; i < columns.Length; i++)
        {
            var typeName = reader.GetDataTypeName(i);
            var (precision, scale) = (0, 0);
            if (typeName.Equals("Decimal", StringComparison.OrdinalIgnoreCase))
            {
                schema ??= reader.GetSchemaTable();
                var row = schema!.Rows[i];
                precision = row["NumericPrecision"] is DBNull ? 18 : Convert.ToInt32(row["NumericPrecision"], CultureInfo.InvariantCulture);
                scale = row["NumericScale"] is DBNull ? 3 : Convert.ToInt32(row["NumericScale"], CultureInfo.InvariantCulture);
            }
            columns[i] = FromDuckDbType(typeName, precision, scale) with { ValueType = reader.GetFieldType(i) };
        }
        return columns;
    }
}
