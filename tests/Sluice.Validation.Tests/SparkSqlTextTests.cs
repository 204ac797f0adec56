using Sluice.Validation.CustomSql;

namespace Sluice.Validation.Tests;

/// <summary>
/// CustomSql written for Spark SQL, run on DuckDB: the bare table name primary (reserved in DuckDB) is quoted, and
/// backtick-quoted identifiers become double-quoted ones; everything else is left as written.
/// </summary>
public sealed class SparkSqlTextTests
{
    [Theory]
    [InlineData("select count(*) from primary", """select count(*) from "primary" """)]
    [InlineData("SELECT * FROM Primary p WHERE p.x = 'primary'", """SELECT * FROM "primary" p WHERE p.x = 'primary'""")]
    [InlineData("select primary.id from primary/* primary */", """select "primary".id from "primary"/* primary */""")]
    [InlineData("select \"primary\", `primary` from primary -- primary", """select "primary", "primary" from "primary" -- primary""")]
    [InlineData("select primary_key, xprimary, :primary, 1e5 from primary", """select primary_key, xprimary, :primary, 1e5 from "primary" """)]
    [InlineData("select 'it''s primary' from primary", """select 'it''s primary' from "primary" """)]
    [InlineData("select `order id`, `a``b`, `say \"hi\"` from primary", """"select "order id", "a`b", "say ""hi""" from "primary" """")]
    [InlineData("select '`not a name`' from \"primary\"", """select '`not a name`' from "primary" """)]
    [InlineData("select `unterminated from primary", "select `unterminated from primary")]
    public void ForDuckDb_SparkSql_QuotesPrimaryAndTurnsBackticksIntoDoubleQuotes(string sql, string expected)
    {
        Assert.Equal(expected.TrimEnd(), SparkSqlText.ForDuckDb(sql));
    }

    [Fact]
    public void ForDuckDb_NothingToRewrite_ReturnsTheTextUnchanged()
    {
        const string sql = "select count(*) from \"primary\" where note = 'primary'";

        Assert.Same(sql, SparkSqlText.ForDuckDb(sql));
    }
}
