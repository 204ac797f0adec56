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
}

/// <summary>How a composite rule combines its operands.</summary>
public enum LogicalOperator
{
    /// <summary>Passes when every operand passes.</summary>
    And,
    /// <summary>Passes when at least one operand passes.</summary>
    Or,
}
