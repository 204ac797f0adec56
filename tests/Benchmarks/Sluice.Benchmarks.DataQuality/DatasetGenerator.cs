using System.Globalization;
using System.Text;

namespace Sluice.Benchmarks.DataQuality;

/// <summary>Writes a deterministic NDJSON file: id, name, email, amount, quantity, status, country, created_at.</summary>
internal static class DatasetGenerator
{
    public static readonly DateTimeOffset Now = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static void Write(string path, int rows)
    {
        var random = new Random(20250101);
        string[] statuses = ["active", "inactive", "pending"];
        string[] countries = ["US", "DE", "FR", "JP", "BR", "IN", "GB", "CA"];
        string[] firstNames = ["Ana", "Bo", "Chen", "Dmitri", "Eve", "Fatima", "Gus", "Hiro", "Inès", "Jo"];
        using var writer = new StreamWriter(path, false, new UTF8Encoding(false), 1 << 20);
        var line = new StringBuilder(256);
        for (var id = 1; id <= rows; id++)
        {
            line.Clear();
            var first = firstNames[random.Next(firstNames.Length)];
            // Some names carry JSON escapes so the benchmark pays for unescaping where it must.
            var name = random.Next(50) == 0 ? $"{first} \\\"{id % 1000}\\\" O'Neil" : $"{first} Smith{id % 997}";
            var email = random.Next(50) == 0 ? "null" : $"\"{first.ToLowerInvariant()}.{id}@example.com\"";
            var amount = (random.Next(1, 1_000_000) / 100.0).ToString("0.##", CultureInfo.InvariantCulture);
            var created = Now.AddSeconds(-random.Next(0, 3 * 365 * 24 * 3600)).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
            line.Append("{\"id\":").Append(id)
                .Append(",\"name\":\"").Append(name).Append('"')
                .Append(",\"email\":").Append(email)
                .Append(",\"amount\":").Append(amount)
                .Append(",\"quantity\":").Append(random.Next(1, 50))
                .Append(",\"status\":\"").Append(statuses[random.Next(statuses.Length)]).Append('"')
                .Append(",\"country\":\"").Append(countries[random.Next(countries.Length)]).Append('"')
                .Append(",\"created_at\":\"").Append(created).Append("\"}");
            writer.Write(line);
            writer.Write('\n');
        }
    }
}
