using Sluice.Query.Statements;

namespace Sluice.Query.Tests;

/// <summary>The threads DuckDB statements run on: every item in flight gets a thread, up to the maximum.</summary>
public sealed class EngineThreadsTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task TwoItemsQueuedAtOnceBesideAnIdleThread_TheSecondDoesNotWaitBehindTheFirst()
    {
        using var threads = new EngineThreads(4);
        // One thread exists and is idle.
        await threads.Run(() => Task.CompletedTask).WaitAsync(Timeout);

        using var release = new ManualResetEventSlim();
        var blocked = threads.Run(() =>
        {
            // Blocks its thread, as a long DuckDB statement does.
            release.Wait(Timeout);
            return Task.CompletedTask;
        });
        var quick = threads.Run(() => Task.CompletedTask);

        var first = await Task.WhenAny(quick, Task.Delay(Timeout));
        release.Set();
        await blocked.WaitAsync(Timeout);

        Assert.True(first == quick, "The second item waited for the first one's thread instead of getting its own.");
    }

    [Fact]
    public async Task MoreItemsThanTheMaximum_TheRestWaitForAThreadThenRun()
    {
        using var threads = new EngineThreads(2);
        using var release = new ManualResetEventSlim();
        var running = 0;
        var most = 0;
        var items = Enumerable.Range(0, 6).Select(_ => threads.Run(() =>
        {
            var now = Interlocked.Increment(ref running);
            InterlockedMax(ref most, now);
            release.Wait(Timeout);
            Interlocked.Decrement(ref running);
            return Task.CompletedTask;
        })).ToArray();

        await WaitUntilAsync(() => Volatile.Read(ref running) == 2);
        release.Set();
        await Task.WhenAll(items).WaitAsync(Timeout);

        Assert.Equal(2, most);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(Timeout);
        while (!condition())
        {
            await Task.Delay(10, timeout.Token);
        }
    }
}
