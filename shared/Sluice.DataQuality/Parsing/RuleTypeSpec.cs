using Sluice.DataQuality.Model;

namespace Sluice.DataQuality.Parsing;

/// <summary>What kind of expression a rule type takes.</summary>
internal enum ExpressionKind
{
    None,
    Numeric,
    Values,
    Duration,
    DataType,
}

/// <summary>
/// The shape of each rule type: its parameters, expression and whether <c>with threshold</c> applies,
/// following the DQDL rule type reference and awslabs/dqdl rules-config.json.
/// </summary>
internal sealed record RuleTypeSpec(RuleType Type, int MinParameters, int MaxParameters, ExpressionKind Expression,
    bool ExpressionOptional, bool AllowsThreshold)
{
    private static readonly Dictionary<string, RuleTypeSpec> Specs = new(StringComparer.Ordinal)
    {
        // The reference's composite example writes `RowCount "id" > 100`; the parameter is accepted and ignored.
        ["RowCount"] = new(RuleType.RowCount, 0, 1, ExpressionKind.Numeric, false, false),
        ["ColumnCount"] = new(RuleType.ColumnCount, 0, 0, ExpressionKind.Numeric, false, false),
        ["Completeness"] = new(RuleType.Completeness, 1, 1, ExpressionKind.Numeric, false, false),
        ["IsComplete"] = new(RuleType.IsComplete, 1, 1, ExpressionKind.None, false, false),
        ["IsUnique"] = new(RuleType.IsUnique, 1, int.MaxValue, ExpressionKind.None, false, false),
        ["Uniqueness"] = new(RuleType.Uniqueness, 1, int.MaxValue, ExpressionKind.Numeric, false, false),
        ["UniqueValueRatio"] = new(RuleType.UniqueValueRatio, 1, 1, ExpressionKind.Numeric, false, false),
        ["IsPrimaryKey"] = new(RuleType.IsPrimaryKey, 1, int.MaxValue, ExpressionKind.None, false, false),
        ["DistinctValuesCount"] = new(RuleType.DistinctValuesCount, 1, 1, ExpressionKind.Numeric, false, false),
        ["ColumnValues"] = new(RuleType.ColumnValues, 1, 1, ExpressionKind.Values, false, true),
        ["ColumnLength"] = new(RuleType.ColumnLength, 1, 1, ExpressionKind.Numeric, false, true),
        ["ColumnExists"] = new(RuleType.ColumnExists, 1, 1, ExpressionKind.None, false, false),
        ["ColumnDataType"] = new(RuleType.ColumnDataType, 1, 1, ExpressionKind.DataType, false, true),
        ["Mean"] = new(RuleType.Mean, 1, 1, ExpressionKind.Numeric, false, false),
        ["Sum"] = new(RuleType.Sum, 1, 1, ExpressionKind.Numeric, false, false),
        ["StandardDeviation"] = new(RuleType.StandardDeviation, 1, 1, ExpressionKind.Numeric, false, false),
        ["Entropy"] = new(RuleType.Entropy, 1, 1, ExpressionKind.Numeric, false, false),
        ["DataFreshness"] = new(RuleType.DataFreshness, 1, 1, ExpressionKind.Duration, false, false),
        // Without an expression CustomSql is the row-level form: the rows the query returns pass.
        ["CustomSql"] = new(RuleType.CustomSql, 1, 1, ExpressionKind.Numeric, true, true),
    };

    /// <summary>Rule types of the reference that need other datasets, history or file metadata.</summary>
    private static readonly HashSet<string> Unsupported = new(StringComparer.Ordinal)
    {
        "AggregateMatch", "ColumnCorrelation", "ColumnNamesMatchPattern", "DatasetMatch", "DetectAnomalies",
        "ReferentialIntegrity", "RowCountMatch", "SchemaMatch", "FileFreshness", "FileMatch", "FileUniqueness",
        "FileSize", "Distribution", "AllStatistics",
    };

    public static bool TryGet(string name, out RuleTypeSpec spec) => Specs.TryGetValue(name, out spec!);

    public static bool IsKnownButUnsupported(string name) => Unsupported.Contains(name);

    public static IEnumerable<string> SupportedNames => Specs.Keys;
}
