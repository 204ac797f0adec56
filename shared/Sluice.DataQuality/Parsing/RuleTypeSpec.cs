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
    /// <summary>Rule types Sluice cannot evaluate (S3 files, anomaly models): everything up to the rule's end is kept as text.</summary>
    Opaque,
}

/// <summary>
/// The shape of each rule type: its parameters, expression, whether <c>with threshold</c> applies and whether a
/// <c>where</c> clause does, following the DQDL rule type reference and awslabs/dqdl rules-config.json
/// (<c>is_threshold_supported</c>, <c>is_where_clause_supported</c>).
/// </summary>
internal sealed record RuleTypeSpec(RuleType Type, int MinParameters, int MaxParameters, ExpressionKind Expression,
    bool ExpressionOptional, bool AllowsThreshold, bool AllowsWhere, bool AnalyzerOnly = false)
{
    private static readonly Dictionary<string, RuleTypeSpec> Specs = new(StringComparer.Ordinal)
    {
        // The reference's composite example writes `RowCount "id" > 100`; the parameter is accepted and ignored.
        ["RowCount"] = new(RuleType.RowCount, 0, 1, ExpressionKind.Numeric, false, false, true),
        ["ColumnCount"] = new(RuleType.ColumnCount, 0, 0, ExpressionKind.Numeric, false, false, false),
        ["Completeness"] = new(RuleType.Completeness, 1, 1, ExpressionKind.Numeric, false, false, true),
        ["IsComplete"] = new(RuleType.IsComplete, 1, 1, ExpressionKind.None, false, false, true),
        ["IsUnique"] = new(RuleType.IsUnique, 1, int.MaxValue, ExpressionKind.None, false, false, true),
        ["Uniqueness"] = new(RuleType.Uniqueness, 1, int.MaxValue, ExpressionKind.Numeric, false, false, true),
        ["UniqueValueRatio"] = new(RuleType.UniqueValueRatio, 1, 1, ExpressionKind.Numeric, false, false, true),
        ["IsPrimaryKey"] = new(RuleType.IsPrimaryKey, 1, int.MaxValue, ExpressionKind.None, false, false, true),
        ["DistinctValuesCount"] = new(RuleType.DistinctValuesCount, 1, 1, ExpressionKind.Numeric, false, false, true),
        ["ColumnValues"] = new(RuleType.ColumnValues, 1, 1, ExpressionKind.Values, false, true, true),
        ["ColumnLength"] = new(RuleType.ColumnLength, 1, 1, ExpressionKind.Numeric, false, true, true),
        ["ColumnExists"] = new(RuleType.ColumnExists, 1, 1, ExpressionKind.None, false, false, false),
        ["ColumnDataType"] = new(RuleType.ColumnDataType, 1, 1, ExpressionKind.DataType, false, true, true),
        ["Mean"] = new(RuleType.Mean, 1, 1, ExpressionKind.Numeric, false, false, true),
        ["Sum"] = new(RuleType.Sum, 1, 1, ExpressionKind.Numeric, false, false, true),
        ["StandardDeviation"] = new(RuleType.StandardDeviation, 1, 1, ExpressionKind.Numeric, false, false, true),
        ["Entropy"] = new(RuleType.Entropy, 1, 1, ExpressionKind.Numeric, false, false, true),
        ["DataFreshness"] = new(RuleType.DataFreshness, 1, 1, ExpressionKind.Duration, false, false, true),
        // Without an expression CustomSql is the row-level form: the rows the query returns pass.
        ["CustomSql"] = new(RuleType.CustomSql, 1, 1, ExpressionKind.Numeric, true, true, false),
        ["ColumnCorrelation"] = new(RuleType.ColumnCorrelation, 2, 2, ExpressionKind.Numeric, false, false, true),
        ["ColumnNamesMatchPattern"] = new(RuleType.ColumnNamesMatchPattern, 1, 1, ExpressionKind.None, false, false, false),
        ["ReferentialIntegrity"] = new(RuleType.ReferentialIntegrity, 2, 2, ExpressionKind.Numeric, false, false, false),
        ["DatasetMatch"] = new(RuleType.DatasetMatch, 2, 3, ExpressionKind.Numeric, false, false, false),
        ["RowCountMatch"] = new(RuleType.RowCountMatch, 1, 1, ExpressionKind.Numeric, false, false, false),
        ["AggregateMatch"] = new(RuleType.AggregateMatch, 2, 2, ExpressionKind.Numeric, false, false, false),
        ["SchemaMatch"] = new(RuleType.SchemaMatch, 1, 1, ExpressionKind.Numeric, false, false, false),
        ["DetectAnomalies"] = new(RuleType.DetectAnomalies, 0, int.MaxValue, ExpressionKind.Opaque, true, false, false),
        ["FileFreshness"] = new(RuleType.FileRule, 0, int.MaxValue, ExpressionKind.Opaque, true, false, false),
        ["FileMatch"] = new(RuleType.FileRule, 0, int.MaxValue, ExpressionKind.Opaque, true, false, false),
        ["FileUniqueness"] = new(RuleType.FileRule, 0, int.MaxValue, ExpressionKind.Opaque, true, false, false),
        ["FileSize"] = new(RuleType.FileRule, 0, int.MaxValue, ExpressionKind.Opaque, true, false, false),
        ["AllStatistics"] = new(RuleType.AllStatistics, 1, 1, ExpressionKind.None, false, false, false, AnalyzerOnly: true),
    };

    public static bool TryGet(string name, out RuleTypeSpec spec) => Specs.TryGetValue(name, out spec!);

    public static IEnumerable<string> SupportedNames => Specs.Keys;
}
