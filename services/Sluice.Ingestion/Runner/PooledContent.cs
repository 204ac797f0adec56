using System.Buffers;
using System.Net;

namespace Sluice.Ingestion.Runner;

/// <summary>
/// A response body read in full into a buffer rented from the shared pool, standing in for the
/// response's own content: a page costs one copy out of the socket and no new array, where
/// HttpContent's own buffering allocates a fresh one for every page. The buffer goes back to the
/// pool when the content is disposed, or with the <see cref="PooledBody"/> that takes it over.
/// </summary>
internal sealed class PooledContent : HttpContent
{
    private byte[]? _buffer;
    private readonly int _length;

    private PooledContent(byte[] buffer, int length, HttpContent original)
    {
        _buffer = buffer;
        _length = length;
        foreach (var (name, values) in original.Headers)
        {
            Headers.TryAddWithoutValidation(name, values);
        }
    }

    /// <summary>
    /// Reads <paramref name="original"/> to its end, at most <paramref name="maxBytes"/>; a body cut
    /// short throws (the attempt fails and is retried), a longer one is a <see cref="PageTooLargeException"/>.
    /// </summary>
    public static async Task<PooledContent> ReadAsync(HttpContent original, long maxBytes, CancellationToken cancellationToken)
    {
        var declared = original.Headers.ContentLength;
        if (declared > maxBytes)
        {
            throw new PageTooLargeException(maxBytes);
        }
        // One byte more than declared, so the end is seen without growing the buffer.
        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(Math.Min(maxBytes + 1, Array.MaxLength), (declared ?? 64 * 1024) + 1));
        var length = 0;
        try
        {
            await using var body = await original.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            int read;
            while ((read = await body.ReadAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false)) > 0)
            {
                length += read;
                if (length > maxBytes)
                {
                    throw new PageTooLargeException(maxBytes);
                }
                if (length == buffer.Length)
                {
                    if (length == Array.MaxLength)
                    {
                        throw new PageTooLargeException(maxBytes);
                    }
                    var larger = ArrayPool<byte>.Shared.Rent((int)Math.Min(Math.Min(maxBytes + 1, Array.MaxLength), 2L * buffer.Length));
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }
            }
            return new PooledContent(buffer, length, original);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }

    /// <summary>Takes the body over; the content is empty afterwards.</summary>
    public PooledBody Detach()
    {
        var buffer = _buffer ?? throw new ObjectDisposedException(nameof(PooledContent));
        _buffer = null;
        return new PooledBody(buffer, _length);
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        stream.WriteAsync(Body(), 0, _length);

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken) =>
        stream.WriteAsync(Body().AsMemory(0, _length), cancellationToken).AsTask();

    protected override bool TryComputeLength(out long length)
    {
        length = _length;
        return true;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && Interlocked.Exchange(ref _buffer, null) is { } buffer)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        base.Dispose(disposing);
    }

    private byte[] Body() => _buffer ?? throw new ObjectDisposedException(nameof(PooledContent));
}

/// <summary>A page body in a pooled buffer; returned to the pool on dispose.</summary>
internal sealed class PooledBody(byte[] buffer, int length) : IDisposable
{
    private byte[]? _buffer = buffer;

    public ReadOnlyMemory<byte> Memory => (_buffer ?? throw new ObjectDisposedException(nameof(PooledBody))).AsMemory(0, length);

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _buffer, null) is { } returned)
        {
            ArrayPool<byte>.Shared.Return(returned);
        }
    }
}
