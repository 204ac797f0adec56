using System.Threading.Channels;

namespace Sluice.Transports.AmazonSqs.Transport;

/// <summary>
/// Groups concurrent calls into SQS/SNS batch requests of up to ten entries. A call waits for its
/// own entry's outcome; an entry that arrives while a batch is in flight joins the next one, so a
/// lone send costs no extra latency and a burst costs a tenth of the requests.
/// </summary>
internal sealed class Batcher<TEntry> : IAsyncDisposable
{
    /// <summary>SQS SendMessageBatch, DeleteMessageBatch and SNS PublishBatch all take at most ten entries.</summary>
    public const int MaxEntries = 10;

    private readonly Channel<(TEntry Entry, TaskCompletionSource Done)> _channel =
        Channel.CreateUnbounded<(TEntry, TaskCompletionSource)>(new UnboundedChannelOptions { SingleReader = true });

    private readonly Func<IReadOnlyList<TEntry>, CancellationToken, Task<IReadOnlyList<Exception?>>> _flush;
    private readonly SemaphoreSlim _inFlight;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _loop;

    /// <param name="flush">Sends one batch and returns, per entry in order, null or why it failed.</param>
    /// <param name="concurrentBatches">How many batch requests may be in flight at once.</param>
    public Batcher(Func<IReadOnlyList<TEntry>, CancellationToken, Task<IReadOnlyList<Exception?>>> flush, int concurrentBatches)
    {
        _flush = flush;
        _inFlight = new SemaphoreSlim(concurrentBatches);
        _loop = Task.Run(RunAsync);
    }

    public Task Add(TEntry entry, CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_channel.Writer.TryWrite((entry, done)))
        {
            throw new ObjectDisposedException(nameof(Batcher<TEntry>), "The SQS transport is stopping.");
        }
        return cancellationToken.CanBeCanceled ? done.Task.WaitAsync(cancellationToken) : done.Task;
    }

    private async Task RunAsync()
    {
        var reader = _channel.Reader;
        try
        {
            while (await reader.WaitToReadAsync(_stopping.Token).ConfigureAwait(false))
            {
                await _inFlight.WaitAsync(_stopping.Token).ConfigureAwait(false);
                var batch = new List<(TEntry Entry, TaskCompletionSource Done)>(MaxEntries);
                while (batch.Count < MaxEntries && reader.TryRead(out var item))
                {
                    batch.Add(item);
                }
                if (batch.Count == 0)
                {
                    _inFlight.Release();
                    continue;
                }
                _ = FlushAsync(batch);
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
        while (reader.TryRead(out var left))
        {
            left.Done.TrySetException(new ObjectDisposedException(nameof(Batcher<TEntry>), "The SQS transport stopped before the request was sent."));
        }
    }

    private async Task FlushAsync(List<(TEntry Entry, TaskCompletionSource Done)> batch)
    {
        try
        {
            var results = await _flush(batch.Select(b => b.Entry).ToList(), _stopping.Token).ConfigureAwait(false);
            for (var i = 0; i < batch.Count; i++)
            {
                if (results[i] is { } error)
                {
                    batch[i].Done.TrySetException(error);
                }
                else
                {
                    batch[i].Done.TrySetResult();
                }
            }
        }
        catch (Exception exception)
        {
            foreach (var (_, done) in batch)
            {
                done.TrySetException(exception);
            }
        }
        finally
        {
            _inFlight.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _channel.Writer.TryComplete();
        try
        {
            await _loop.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
        }
        await _stopping.CancelAsync().ConfigureAwait(false);
        _stopping.Dispose();
    }
}
