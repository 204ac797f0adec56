using System.Diagnostics;
using System.Text.Json;
using Sluice.JsonSchema;

// Measures validations per second of data/order-schema.json over data/order-documents.json, in the
// same modes as bench_reference.py, and prints one JSON object for report.py.
// Usage: Sluice.Benchmarks.JsonSchema <data directory> [seconds per mode]
string dataDirectory = args.Length > 0 ? args[0] : Path.Combine(AppContext.BaseDirectory, "data");
double seconds = args.Length > 1 ? double.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 5;

CompiledSchema schema = JsonSchema.Compile(File.ReadAllText(Path.Combine(dataDirectory, "order-schema.json")));
using JsonDocument documentArray = JsonDocument.Parse(File.ReadAllText(Path.Combine(dataDirectory, "order-documents.json")));
JsonElement[] documents = documentArray.RootElement.EnumerateArray().ToArray();
string[] documentTexts = documents.Select(document => document.GetRawText()).ToArray();

bool[] validity = documents.Select(schema.IsValid).ToArray();
for (int index = 0; index < documents.Length; index++)
{
    if (schema.Validate(documents[index]).IsValid != validity[index] || schema.Validate(documentTexts[index]).IsValid != validity[index])
    {
        throw new InvalidOperationException($"Validation modes disagree on document {index}.");
    }
}

var results = new Dictionary<string, object>
{
    ["validity"] = validity,
    ["isValidPerSecond"] = Measure(index => schema.IsValid(documents[index])),
    ["allErrorsPerSecond"] = Measure(index => schema.Validate(documents[index]).IsValid),
    ["parseAndValidatePerSecond"] = Measure(index => schema.Validate(documentTexts[index]).IsValid),
};
Console.WriteLine(JsonSerializer.Serialize(results));

// Passes over all documents: warm-up (JIT tiering, caches), then as many passes as fit in the time.
double Measure(Func<int, bool> validate)
{
    RunFor(Math.Min(2, seconds / 2), validate);
    (long validations, double elapsed) = RunFor(seconds, validate);
    return validations / elapsed;
}

(long Validations, double Elapsed) RunFor(double duration, Func<int, bool> validate)
{
    long validations = 0;
    int validCount = 0;
    var stopwatch = Stopwatch.StartNew();
    while (stopwatch.Elapsed.TotalSeconds < duration)
    {
        for (int index = 0; index < documents.Length; index++)
        {
            validCount += validate(index) ? 1 : 0;
        }

        validations += documents.Length;
    }

    GC.KeepAlive(validCount);
    return (validations, stopwatch.Elapsed.TotalSeconds);
}
