using System.Text.Json;
using System.Text.Json.Serialization;

namespace Sluice.Ingestion.Landing;

/// <summary>The Parquet type of a curated column. Objects and arrays are kept as their JSON text (<see cref="Json"/>).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<CuratedType>))]
internal enum CuratedType { Boolean, Int64, Double, String, Json }

internal sealed record CuratedColumn(string Name, CuratedType Type);

/// <summary>
/// The columns of a source's curated zone, kept with the source so that every run writes them with
/// the same types. A column's type is fixed the first time one of its values is seen and never
/// changes; new fields add columns at the end. A value that does not fit its column's type goes to
/// <see cref="RescuedColumn"/> instead, so nothing is lost and no file disagrees with another.
/// </summary>
internal sealed class CuratedSchema
{
    /// <summary>A JSON object of the record's fields that have no column or do not fit it; null when every field fitted.</summary>
    public const string RescuedColumn = "_sluice_rescued";

    /// <summary>Columns a source may have; further fields are rescued.</summary>
    public const int MaxColumns = 1000;

    /// <summary>Longest column name, in characters; longer field names are rescued.</summary>
    public const int MaxNameLength = 255;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly Dictionary<string, int> _byName = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _byFoldedName = new(StringComparer.OrdinalIgnoreCase);

    public CuratedSchema(IReadOnlyList<CuratedColumn> columns)
    {
        Columns = columns;
        for (var i = 0; i < columns.Count; i++)
        {
            _byName[columns[i].Name] = i;
            _byFoldedName.TryAdd(columns[i].Name, i);
        }
    }

    public static CuratedSchema Empty { get; } = new([]);

    public IReadOnlyList<CuratedColumn> Columns { get; }

    /// <summary>
    /// The column a field goes to, or -1 when it has none (see <see cref="CanAdd"/>: a name reserved,
    /// too long, or differing from a column's only by case, which SQL engines fold).
    /// </summary>
    public int IndexOf(string name) =>
        _byName.TryGetValue(name, out var index) ? index : -1;

    /// <summary>Whether a field without a column may get one (not a name Parquet.Net reads as a nested path).</summary>
    public bool CanAdd(string name) =>
        name.Length is > 0 and <= MaxNameLength
        && !name.Contains(Parquet.Schema.ParquetSchema.PathSeparatorChar)
        && !name.Equals(RescuedColumn, StringComparison.OrdinalIgnoreCase)
        && !_byFoldedName.ContainsKey(name);

    /// <summary>This schema with a column for each observed field it lacks, typed by what was seen, in order of first sight.</summary>
    public CuratedSchema With(IEnumerable<(string Name, ValueKinds Kinds)> observed)
    {
        var columns = new List<CuratedColumn>(Columns);
        var added = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, kinds) in observed)
        {
            if (columns.Count >= MaxColumns || !CanAdd(name) || !added.Add(name) || Infer(kinds) is not { } type)
            {
                continue;
            }
            columns.Add(new CuratedColumn(name, type));
        }
        return columns.Count == Columns.Count ? this : new CuratedSchema(columns);
    }

    /// <summary>
    /// The type of a new column from the kinds of its values: one kind gives its own type, integers
    /// with fractions give Double, any object or array gives Json, other mixes give String (the JSON
    /// text of numbers and booleans); only nulls give none yet.
    /// </summary>
    public static CuratedType? Infer(ValueKinds kinds) => kinds switch
    {
        ValueKinds.None => null,
        _ when kinds.HasFlag(ValueKinds.Nested) => CuratedType.Json,
        ValueKinds.Boolean => CuratedType.Boolean,
        ValueKinds.Integer => CuratedType.Int64,
        ValueKinds.Fraction or (ValueKinds.Integer | ValueKinds.Fraction) => CuratedType.Double,
        _ => CuratedType.String,
    };

    public static ValueKinds KindOf(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.True or JsonValueKind.False => ValueKinds.Boolean,
        JsonValueKind.Number => value.TryGetInt64(out _) ? ValueKinds.Integer : ValueKinds.Fraction,
        JsonValueKind.String => ValueKinds.String,
        JsonValueKind.Object or JsonValueKind.Array => ValueKinds.Nested,
        _ => ValueKinds.None,
    };

    public string ToJson() => JsonSerializer.Serialize(Columns, Json);

    public static CuratedSchema FromJson(string? json) =>
        string.IsNullOrEmpty(json) ? Empty : new CuratedSchema(JsonSerializer.Deserialize<List<CuratedColumn>>(json, Json) ?? []);
}

/// <summary>The kinds of JSON value seen in one field.</summary>
[Flags]
internal enum ValueKinds
{
    None = 0,
    Boolean = 1,
    /// <summary>A number that is a 64-bit integer.</summary>
    Integer = 2,
    /// <summary>Any other number.</summary>
    Fraction = 4,
    String = 8,
    Nested = 16,
}
