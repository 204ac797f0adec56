using Grpc.Core;
using Sluice.Query.V1;
using Xunit.Abstractions;

namespace Sluice.Query.Tests;

/// <summary>Runs alone: it measures the process's managed heap, which other tests would disturb.</summary>
[CollectionDefinition(nameof(MemoryMeasurementCollection), DisableParallelization = true)]
public sealed class MemoryMeasurementCollection;

/// <summary>StreamStatementResult holds one batch at a time, however large the result and however slow the reader.</summary>
[Collection(nameof(MemoryMeasurementCollection))]
public sealed class StreamingMemoryTests(ITestOutputHelper output)
{
    private const int Rows = 1_000_000;

    [Fact]
    public async Task StreamStatementResult_MillionRowsToASlowReader_KeepsTheHeapFarBelowTheResultSize()
    {
        await using var host = await QueryHost.StartAsync(new Dictionary<string, string?> { ["SeedDemoSchema"] = "false" });
        var end = await host.Client.RunAsync("dev", $"""
            SELECT x AS id, 'customer-' || x AS name, x * 0.25 AS score, x % 7 = 0 AS flagged FROM range(1, {Rows + 1}) AS c(x) ORDER BY x
            """);
        var resultBytes = end.ResultSize;
        var baseline = GC.GetTotalMemory(forceFullCollection: true);

        using var call = host.Client.StreamStatementResult(new StreamStatementResultRequest { Id = end.Id });
        long rows = 0, lastId = 0, peakGrowth = 0;
        var messages = 0;
        await foreach (var message in call.ResponseStream.ReadAllAsync())
        {
            if (message.PayloadCase == StreamStatementResultResponse.PayloadOneofCase.Batch)
            {
                rows += message.Batch.Records.Count;
                lastId = message.Batch.Records[^1].Fields[0].LongValue;
            }
            // A slow reader: the server gets ahead only as far as HTTP/2 flow control lets it.
            await Task.Delay(1);
            if (++messages % 50 == 0)
            {
                peakGrowth = Math.Max(peakGrowth, GC.GetTotalMemory(forceFullCollection: true) - baseline);
            }
        }

        output.WriteLine($"result {resultBytes / 1e6:0.0} MB in {messages} messages; peak managed heap growth while streaming {peakGrowth / 1e6:0.00} MB");
        Assert.Equal(Rows, rows);
        Assert.Equal(Rows, lastId);
        Assert.True(resultBytes > 20_000_000, $"the result should be large enough to tell buffering apart, but is {resultBytes} bytes");
        // A server (or client) holding the result would grow by at least its serialized size; a
        // streaming one by a few batches plus flow-control windows.
        Assert.True(peakGrowth < resultBytes / 4, $"heap grew by {peakGrowth} bytes while streaming a {resultBytes}-byte result");
    }
}
