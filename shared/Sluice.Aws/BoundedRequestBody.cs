using Microsoft.AspNetCore.Http;

namespace Sluice.Aws;

/// <summary>
/// Reads a request's whole body into memory, as SigV4 verification and the AWS JSON protocols need it, but never
/// more than a limit: a body over it (declared or actually sent) is refused before it is buffered whole.
/// </summary>
public static class BoundedRequestBody
{
    /// <summary>The body's bytes, or null when it is longer than <paramref name="maxBytes"/>.</summary>
    public static async Task<byte[]?> ReadAsync(HttpRequest request, int maxBytes, CancellationToken cancellationToken)
    {
        if (request.ContentLength > maxBytes)
        {
            return null;
        }
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > maxBytes)
            {
                return null;
            }
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }
}
