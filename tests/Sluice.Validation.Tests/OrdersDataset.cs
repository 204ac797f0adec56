using System.Text;
using Sluice.ObjectStore;

namespace Sluice.Validation.Tests;

/// <summary>
/// Five order rows in two NDJSON parts and a ruleset whose outcome on them is worked out by hand:
/// <code>
/// id  status   amount
///  1  shipped  10
///  2  pending  20
///  3  shipped  null
///  4  lost     40
///  4  shipped  50
/// </code>
/// </summary>
public static class OrdersDataset
{
    public static readonly string[] Part1 =
    [
        """{"id":1,"status":"shipped","amount":10}""",
        """{"id":2,"status":"pending","amount":20}""",
        """{"id":3,"status":"shipped","amount":null}""",
    ];

    public static readonly string[] Part2 =
    [
        """{"id":4,"status":"lost","amount":40}""",
        """{"id":4,"status":"shipped","amount":50}""",
    ];

    public static IEnumerable<string> Rows => Part1.Concat(Part2);

    /// <summary>
    /// Expected, rule by rule: 5 rows (passed); amount 4 of 5 complete (failed, 0.8); id 4 twice,
    /// so 3 of 5 values unique (failed, 0.6); status in the set for 4 of 5 rows, threshold 0.8
    /// (passed); mean amount (10+20+40+50)/4 = 30, strictly between 20 and 40 (passed); CustomSql
    /// on the embedded DuckDB copy counts 1 row with a null amount where 0 are allowed (failed,
    /// Dataset.*.CustomSQL = 1). Score 3/6.
    /// </summary>
    public const string Ruleset = """
        Rules = [
            RowCount = 5,
            IsComplete "amount",
            IsPrimaryKey "id",
            ColumnValues "status" in ["shipped", "pending"] with threshold >= 0.8,
            Mean "amount" between 20 and 40,
            CustomSql "select count(*) from primary where amount is null" = 0
        ]
        """;

    public const double ExpectedScore = 0.5;

    /// <summary>Writes the two parts (and a manifest beside them) under raw/{source}/ingest_date=2026-11-21/{jobId}/.</summary>
    public static async Task<IReadOnlyList<string>> WritePartsAsync(IObjectStore store, string source, string jobId)
    {
        var folder = $"raw/{source}/ingest_date=2026-11-21/{jobId}/";
        var keys = new[] { folder + "part-00000.ndjson", folder + "part-00001.ndjson" };
        await PutAsync(store, keys[0], string.Join('\n', Part1) + "\n");
        await PutAsync(store, keys[1], string.Join('\n', Part2));
        // Not NDJSON: reading it as a part would fail the evaluation.
        await PutAsync(store, folder + "manifest.json", """{"parts": 2,""" + "\n" + """ "records": 5}""");
        return keys;
    }

    public static async Task PutAsync(IObjectStore store, string key, string content)
    {
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(content));
        await store.PutAsync(key, stream, "application/x-ndjson");
    }
}
