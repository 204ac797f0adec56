using Sluice.Validation.CustomSql;

namespace Sluice.Validation.Tests;

/// <summary>The bare table name primary (a reserved word in SQLite) is quoted; everything else is left as written.</summary>
public sealed class PrimaryTableNameTests
{
    [Theory]
    [InlineData("select count(*) from primary", """select count(*) from "primary" """)]
    [InlineData("SELECT * FROM Primary p WHERE p.x = 'primary'", """SELECT * FROM "primary" p WHERE p.x = 'primary'""")]
    [InlineData("select primary.id from primary/* primary */", """select "primary".id from "primary"/* primary */""")]
    [InlineData("select \"primary\", [primary], `primary` from primary -- primary", """select "primary", [primary], `primary` from "primary" -- primary""")]
    [InlineData("select primary_key, xprimary, :primary, 1e5 from primary", """select primary_key, xprimary, :primary, 1e5 from "primary" """)]
    [InlineData("select 'it''s primary' from primary", """select 'it''s primary' from "primary" """)]
    public void QuoteBareReferences_SqlWithPrimary_QuotesOnlyTheBareTableName(string sql, string expected)
    {
        Assert.Equal(expected.TrimEnd(), PrimaryTableName.QuoteBareReferences(sql));
    }

    [Fact]
    public void QuoteBareReferences_NoBareReference_ReturnsTheTextUnchanged()
    {
        const string sql = "select count(*) from \"primary\" where note = 'primary'";

        Assert.Same(sql, PrimaryTableName.QuoteBareReferences(sql));
    }
}
