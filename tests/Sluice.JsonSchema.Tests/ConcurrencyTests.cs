using System.Text.Json;

namespace Sluice.JsonSchema.Tests;

public sealed class ConcurrencyTests
{
    private const string Schema = """
        {
          "definitions": {
            "item": {
              "type": "object",
              "properties": {
                "sku": {"type": "string", "pattern": "^[A-Z]{3}-[0-9]{4}$"},
                "price": {"type": "number", "minimum": 0, "multipleOf": 0.01},
                "tags": {"type": "array", "items": {"type": "string"}, "uniqueItems": true}
              },
              "required": ["sku", "price"],
              "additionalProperties": false
            }
          },
          "type": "array",
          "items": {"$ref": "#/definitions/item"}
        }
        """;

    private static readonly string[] Documents =
    [
        """[{"sku": "ABC-1234", "price": 10.5, "tags": ["a", "b"]}]""",
        """[{"sku": "abc-1234", "price": 10.5}]""",
        """[{"sku": "ABC-1234", "price": 10.555}, {"price": -1}]""",
        """[{"sku": "ABC-1234", "price": 1, "tags": ["a", "a"], "extra": true}]""",
        """[]""",
    ];

    [Fact]
    public async Task Validate_OneSchemaFromManyTasks_GivesSameResultsAsSequential()
    {
        CompiledSchema schema = JsonSchema.Compile(Schema);
        JsonDocument[] documents = Documents.Select(text => JsonDocument.Parse(text)).ToArray();
        string[] expected = documents.Select(document => schema.Validate(document.RootElement).ToString()).ToArray();
        Assert.Equal(3, expected.Count(text => text != "valid"));

        Task<int>[] workers = Enumerable.Range(0, 16).Select(worker => Task.Run(() =>
        {
            int mismatches = 0;
            for (int iteration = 0; iteration < 2_000; iteration++)
            {
                int index = (worker + iteration) % documents.Length;
                JsonElement instance = documents[index].RootElement;
                if (schema.Validate(instance).ToString() != expected[index]
                    || schema.IsValid(instance) != (expected[index] == "valid"))
                {
                    mismatches++;
                }
            }

            return mismatches;
        })).ToArray();

        int[] mismatchCounts = await Task.WhenAll(workers).WaitAsync(TimeSpan.FromMinutes(2));

        Assert.All(mismatchCounts, count => Assert.Equal(0, count));
        foreach (JsonDocument document in documents)
        {
            document.Dispose();
        }
    }
}
