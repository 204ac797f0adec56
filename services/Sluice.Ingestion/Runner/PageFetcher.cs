using System.Threading.Channels;
using Sluice.Ingestion.Landing;
using Sluice.Ingestion.Sources;

namespace Sluice.Ingestion.Runner;

/// <summary>One page read ahead of the writer: its records as NDJSON lines and the cursor after it.</summary>
internal sealed record FetchedPage(RecordLines Lines, PageCursor Next) : IDisposable
{
    public void Dispose() => Lines.Dispose();
}

/// <summary>
/// Pages through a source from a cursor and hands each page, already turned into NDJSON lines, to
/// the job's writer through a channel: the next pages are fetched while the writer makes the
/// earlier ones durable, and pages that pile up while it waits on the disk share its next flush.
/// The writer alone checkpoints, so a page read ahead and lost in a crash is simply fetched again.
/// A job started by an object landing pages through one request per record of the object
/// (<paramref name="requests"/>).
/// </summary>
internal sealed class PageFetcher(SourceDefinition definition, HttpClient client, string? startWatermark, IReadOnlyList<IReadOnlyDictionary<string, string>>? requests)
{
    /// <summary>
    /// Bytes of lines fetched and not yet written past which the next page waits: a job holds at
    /// most this plus one page in memory.
    /// </summary>
    public const long ReadAheadBytes = 16 * 1024 * 1024;

    private readonly Lock _gate = new();
    private long _aheadBytes;
    private TaskCompletionSource? _room;

    /// <summary>The cursor of a job that has fetched nothing yet.</summary>
    public PageCursor First() => PagerFor(null).First() with { Request = requests is null ? null : 0 };

    /// <summary>
    /// Fetches from <paramref name="cursor"/> to the last page into <paramref name="output"/>, then
    /// completes it; a failure completes it with the exception, after the pages already handed over.
    /// </summary>
    public async Task RunAsync(PageCursor cursor, long pagesDone, ChannelWriter<FetchedPage> output, CancellationToken cancellationToken)
    {
        try
        {
            var pager = PagerFor(cursor);
            var watermarkField = definition.Incremental?.Field;
            for (var pages = pagesDone; !cursor.Done; pages++)
            {
                await WaitForRoomAsync(cancellationToken).ConfigureAwait(false);
                if (pages >= definition.Pagination.MaxPages)
                {
                    throw new SourceRunException($"The source has more than pagination.maxPages ({definition.Pagination.MaxPages}) pages.");
                }
                FetchedPage fetched;
                using (var page = await pager.FetchAsync(cursor, cancellationToken).ConfigureAwait(false))
                {
                    var watermark = cursor.Watermark;
                    var lines = RecordLines.From(page.Records, watermarkField, ref watermark);
                    var next = page.Next with { Watermark = watermark };
                    if (next.Done && requests is not null && cursor.Request + 1 < requests.Count)
                    {
                        // This record's request is paged through: the next record's starts at its first page.
                        next = pager.First() with { Request = cursor.Request + 1, Watermark = watermark };
                        pager = PagerFor(next);
                    }
                    fetched = new FetchedPage(lines, next);
                }
                lock (_gate)
                {
                    _aheadBytes += fetched.Lines.Bytes.Length;
                }
                if (!output.TryWrite(fetched))
                {
                    fetched.Dispose();
                    throw new InvalidOperationException("The page channel must be unbounded.");
                }
                cursor = fetched.Next;
            }
            output.Complete();
        }
        catch (Exception exception)
        {
            output.Complete(exception);
        }
    }

    /// <summary>The writer has taken <paramref name="page"/> off the channel: its bytes no longer count against the read-ahead.</summary>
    public void Written(FetchedPage page)
    {
        TaskCompletionSource? room;
        lock (_gate)
        {
            _aheadBytes -= page.Lines.Bytes.Length;
            (room, _room) = (_room, null);
        }
        room?.TrySetResult();
    }

    private async Task WaitForRoomAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            Task room;
            lock (_gate)
            {
                if (_aheadBytes < ReadAheadBytes)
                {
                    return;
                }
                room = (_room ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
            }
            await room.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private SourcePager PagerFor(PageCursor? cursor) => new(definition, client, startWatermark, requests?[cursor?.Request ?? 0]);
}
