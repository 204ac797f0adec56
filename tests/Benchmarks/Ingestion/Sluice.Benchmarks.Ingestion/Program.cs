using System.Globalization;
using Sluice.Benchmarks.Ingestion;

// Ingestion throughput against the source's own limit, in one run (not part of CI):
// 1. pull: N records of about 1 KB from a local paged server (loopback Kestrel) ingested into the
//    local object store and into the S3-compatible server (fauxqs), against fetching the same pages
//    with an HttpClient that discards them (measured before and after; the faster one is the reference),
//    and against putting the same bytes straight into each store (the landing floor, for context);
// 2. push: the same number of records through PutRecordsStream against the raw gRPC streaming rate
//    of the same messages.
// Usage: dotnet run -c Release -- [--records N | --full] [--page-size 1000] [--batch 500] [--shards 4] [--no-s3] [--no-push]
//   --full is 1,000,000 records (the size); the default is 100,000 for quick reruns.
var options = Options.Parse(args);
Console.WriteLine($"{options.Records:N0} records of ~1 KB; {Environment.ProcessorCount} cores; load average {Measurement.LoadAverage()}");

await using var source = await PagedSource.StartAsync(options.Records, options.PageSize);
Console.WriteLine($"source: {source.PageCount:N0} pages of {options.PageSize} records, {source.TotalBytes / 1048576.0:N0} MiB, at {source.BaseUrl}");
using var http = new HttpClient();
using var fauxqs = options.S3 ? await Fauxqs.StartAsync() : null;
await using var local = await IngestionHost.StartAsync();
await using var s3 = fauxqs is null ? null : await IngestionHost.StartAsync(fauxqs.ObjectStoreSettings());

// Warm-up: every path once on a few pages, so no phase pays for the JIT.
await source.FetchAndDiscardAsync(http, Math.Min(PagedSource.WarmPages, source.PageCount), 0);
foreach (var host in new[] { local, s3 }.OfType<IngestionHost>())
{
    await host.CreateSourceAsync("warm", source.BaseUrl, "/warm", options.PageSize);
    await host.IngestAsync("warm", Math.Min(options.Records, PagedSource.WarmPages * options.PageSize));
    await host.CreateSourceAsync("bench", source.BaseUrl, "/items", options.PageSize);
}

var fetchBefore = await Measurement.OfAsync("fetch and discard (before)", () => source.FetchAndDiscardAsync(http, source.PageCount, options.Records));
var pulls = new List<Measurement>
{
    await Measurement.OfAsync("ingest -> local store", () => local.IngestAsync("bench", options.Records)),
};
if (s3 is not null)
{
    pulls.Add(await Measurement.OfAsync("ingest -> S3 (fauxqs)", () => s3.IngestAsync("bench", options.Records), fauxqs!.ProcessId));
}
// The floor of landing alone: the same bytes put straight into each store, nothing fetched or spooled.
pulls.Add(await Measurement.OfAsync("put only -> local store", () => local.PutOnlyAsync(source, options.Records)));
if (s3 is not null)
{
    pulls.Add(await Measurement.OfAsync("put only -> S3 (fauxqs)", () => s3.PutOnlyAsync(source, options.Records), fauxqs!.ProcessId));
}
var fetchAfter = await Measurement.OfAsync("fetch and discard (after)", () => source.FetchAndDiscardAsync(http, source.PageCount, options.Records));
var reference = fetchBefore.RecordsPerSecond >= fetchAfter.RecordsPerSecond ? fetchBefore : fetchAfter;
Measurement.PrintTable($"pull (reference: the faster fetch; goal at least 0.8x); load average {Measurement.LoadAverage()}", reference, [fetchBefore, fetchAfter, .. pulls]);

if (options.Push)
{
    var (raw, push) = await PushStreamBenchmark.RunAsync(options.Records, options.Batch, options.Shards);
    Measurement.PrintTable($"push (reference: raw gRPC streaming); load average {Measurement.LoadAverage()}", raw, [raw, push]);
}
Console.WriteLine("CPU µs/rec is this process's CPU time (source server, client and service together) per record; '+ server' is fauxqs's own.");

namespace Sluice.Benchmarks.Ingestion
{
    internal sealed record Options(int Records, int PageSize, int Batch, int Shards, bool S3, bool Push)
    {
        public static Options Parse(string[] args)
        {
            var options = new Options(100_000, 1000, 500, 4, S3: true, Push: true);
            for (var i = 0; i < args.Length; i++)
            {
                options = args[i] switch
                {
                    "--full" => options with { Records = 1_000_000 },
                    "--records" => options with { Records = Number(args, ++i) },
                    "--page-size" => options with { PageSize = Number(args, ++i) },
                    "--batch" => options with { Batch = Number(args, ++i) },
                    "--shards" => options with { Shards = Number(args, ++i) },
                    "--no-s3" => options with { S3 = false },
                    "--no-push" => options with { Push = false },
                    _ => throw new ArgumentException($"Unknown argument '{args[i]}'; see the usage at the top of Program.cs."),
                };
            }
            return options;
        }

        private static int Number(string[] args, int index) =>
            index < args.Length && int.TryParse(args[index], NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0
                ? value
                : throw new ArgumentException($"'{args[index - 1]}' needs a positive number.");
    }
}
