namespace Sluice.DataQuality.Model;

/// <summary>The DQDL rule types this library can compute over a single table.</summary>
public enum RuleType
{
    /// <summary><c>RowCount &lt;expr&gt;</c>: number of rows.</summary>
    RowCount,
    /// <summary><c>ColumnCount &lt;expr&gt;</c>: number of distinct top-level keys seen in the dataset.</summary>
    ColumnCount,
    /// <summary><c>Completeness "col" &lt;expr&gt;</c>: fraction of rows whose value is not null.</summary>
    Completeness,
    /// <summary><c>IsComplete "col"</c>: every value is non-null.</summary>
    IsComplete,
    /// <summary><c>IsUnique "col" ["col2" ...]</c>: every non-null value occurs exactly once.</summary>
    IsUnique,
    /// <summary><c>Uniqueness "col" ["col2" ...] &lt;expr&gt;</c>: values occurring once / non-null rows.</summary>
    Uniqueness,
    /// <summary><c>UniqueValueRatio "col" &lt;expr&gt;</c>: values occurring once / distinct values.</summary>
    UniqueValueRatio,
    /// <summary><c>IsPrimaryKey "col" ["col2" ...]</c>: the columns are complete and unique together.</summary>
    IsPrimaryKey,
    /// <summary><c>DistinctValuesCount "col" &lt;expr&gt;</c>: number of distinct non-null values.</summary>
    DistinctValuesCount,
    /// <summary><c>ColumnValues "col" &lt;expr&gt; [with threshold &lt;expr&gt;]</c>: every value (or a fraction) satisfies the expression.</summary>
    ColumnValues,
    /// <summary><c>ColumnLength "col" &lt;expr&gt; [with threshold &lt;expr&gt;]</c>: every value's length satisfies the expression (null is length 0).</summary>
    ColumnLength,
    /// <summary><c>ColumnExists "col"</c>: the column appears in the dataset.</summary>
    ColumnExists,
    /// <summary><c>ColumnDataType "col" = "Type" [with threshold &lt;expr&gt;]</c>: values can be cast to the type.</summary>
    ColumnDataType,
    /// <summary><c>Mean "col" &lt;expr&gt;</c>.</summary>
    Mean,
    /// <summary><c>Sum "col" &lt;expr&gt;</c>.</summary>
    Sum,
    /// <summary><c>StandardDeviation "col" &lt;expr&gt;</c>: population standard deviation of the non-null values.</summary>
    StandardDeviation,
    /// <summary><c>Entropy "col" &lt;expr&gt;</c>: Shannon entropy (natural logarithm) of the value distribution.</summary>
    Entropy,
    /// <summary><c>DataFreshness "col" &lt;duration expr&gt;</c>: every value's age in hours satisfies the expression.</summary>
    DataFreshness,
    /// <summary><c>CustomSql "sql" [&lt;expr&gt;] [with threshold &lt;expr&gt;]</c>: executed through <see cref="Evaluation.ICustomSqlRunner"/>.</summary>
    CustomSql,
    /// <summary><c>ColumnCorrelation "a" "b" &lt;expr&gt;</c>: Pearson correlation of two numeric columns (rows where both are numbers).</summary>
    ColumnCorrelation,
    /// <summary><c>ColumnNamesMatchPattern "regex"</c>: every column name contains a match of the pattern.</summary>
    ColumnNamesMatchPattern,
    /// <summary><c>ReferentialIntegrity "cols" "alias.{cols}" &lt;expr&gt;</c>: share of rows whose values occur in the reference dataset.</summary>
    ReferentialIntegrity,
    /// <summary><c>DatasetMatch "alias" "key mappings" ["match mappings"] &lt;expr&gt;</c>: share of rows equal to the reference's rows.</summary>
    DatasetMatch,
    /// <summary><c>RowCountMatch "alias" &lt;expr&gt;</c>: row count / the reference's row count.</summary>
    RowCountMatch,
    /// <summary><c>AggregateMatch "agg(col)" "agg(alias.col)" &lt;expr&gt;</c>: ratio of two aggregates.</summary>
    AggregateMatch,
    /// <summary><c>SchemaMatch "alias" &lt;expr&gt;</c>: share of columns matching the reference's (name and type).</summary>
    SchemaMatch,
    /// <summary><c>DetectAnomalies "Metric" ...</c>: needs a trained model of the metric; evaluated as Error.</summary>
    DetectAnomalies,
    /// <summary><c>FileFreshness</c>, <c>FileMatch</c>, <c>FileUniqueness</c>, <c>FileSize</c>: rules on S3 files; evaluated as Error.</summary>
    FileRule,
    /// <summary><c>AllStatistics "col"</c>: analyzer only (column statistics).</summary>
    AllStatistics,
}

/// <summary>How a composite rule combines its operands.</summary>
public enum LogicalOperator
{
    /// <summary>Passes when every operand passes.</summary>
    And,
    /// <summary>Passes when at least one operand passes.</summary>
    Or,
}
