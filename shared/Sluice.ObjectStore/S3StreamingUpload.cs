using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace Sluice.ObjectStore;

/// <summary>
/// Streams a stream of any length, seekable or not, into one S3 object holding at most two parts in
/// memory: one being sent while the next is read.
/// </summary>
/// <remarks>
/// TransferUtility is not used: for a non-seekable stream it disposes the caller's stream and (in the
/// versions this project can restore) does not pass the cancellation token to its requests, and for
/// a seekable one it chooses by Length, which not every stream reports truthfully.
/// </remarks>
internal static class S3StreamingUpload
{
    private const int MaxParts = 10_000;

    public static async Task UploadAsync(
        IAmazonS3 client, string bucket, string key, Stream content, string? contentType, int partSize, CancellationToken cancellationToken)
    {
        var first = new byte[partSize];
        int firstLength = await content.ReadAtLeastAsync(first, partSize, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        if (firstLength < partSize)
        {
            await PutSingleAsync(client, bucket, key, first, firstLength, contentType, cancellationToken).ConfigureAwait(false);
            return;
        }

        await PutMultipartAsync(client, bucket, key, content, contentType, first, partSize, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Uploads the file at <paramref name="path"/>: in one PutObject up to <paramref name="partSize"/>,
    /// else as a multipart upload whose parts are read by the SDK straight from their ranges of the
    /// file, up to <paramref name="concurrentParts"/> at a time (nothing held in memory, so parts can
    /// be sent side by side while the server answers each).
    /// </summary>
    public static async Task UploadFileAsync(
        IAmazonS3 client, string bucket, string key, string path, string? contentType, int partSize, int concurrentParts, CancellationToken cancellationToken)
    {
        long length = new FileInfo(path).Length;
        if (length <= partSize)
        {
            var request = new PutObjectRequest { BucketName = bucket, Key = key, FilePath = path, ContentType = contentType };
            await client.PutObjectAsync(request, cancellationToken).ConfigureAwait(false);
            return;
        }

        long partCount = (length + partSize - 1) / partSize;
        if (partCount > MaxParts)
        {
            throw new ObjectStoreException($"Object '{key}' is larger than {MaxParts} parts of {partSize} bytes; raise ObjectStore:S3:PartSize.");
        }

        var initiate = new InitiateMultipartUploadRequest { BucketName = bucket, Key = key, ContentType = contentType, ChecksumAlgorithm = ChecksumAlgorithm.CRC32 };
        string uploadId = (await client.InitiateMultipartUploadAsync(initiate, cancellationToken).ConfigureAwait(false)).UploadId;
        var parts = new UploadPartResponse[partCount];
        try
        {
            // Parallel.ForEachAsync returns only once every started part has ended, so the abort below
            // never races a part still being sent.
            await Parallel.ForEachAsync(
                Enumerable.Range(1, (int)partCount),
                new ParallelOptions { MaxDegreeOfParallelism = concurrentParts, CancellationToken = cancellationToken },
                async (partNumber, token) =>
                {
                    long position = (partNumber - 1L) * partSize;
                    var request = new UploadPartRequest
                    {
                        BucketName = bucket,
                        Key = key,
                        UploadId = uploadId,
                        PartNumber = partNumber,
                        FilePath = path,
                        FilePosition = position,
                        PartSize = Math.Min(partSize, length - position),
                        IsLastPart = partNumber == partCount,
                        ChecksumAlgorithm = ChecksumAlgorithm.CRC32,
                    };
                    parts[partNumber - 1] = await client.UploadPartAsync(request, token).ConfigureAwait(false);
                }).ConfigureAwait(false);

            var complete = new CompleteMultipartUploadRequest { BucketName = bucket, Key = key, UploadId = uploadId };
            complete.AddPartETagsAndChecksums(parts);
            await client.CompleteMultipartUploadAsync(complete, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await AbortAsync(client, bucket, key, uploadId, partInFlight: null).ConfigureAwait(false);
            throw;
        }
    }

    private static async Task PutSingleAsync(
        IAmazonS3 client, string bucket, string key, byte[] buffer, int length, string? contentType, CancellationToken cancellationToken)
    {
        var request = new PutObjectRequest
        {
            BucketName = bucket,
            Key = key,
            InputStream = new MemoryStream(buffer, 0, length, writable: false),
            ContentType = contentType,
        };
        await client.PutObjectAsync(request, cancellationToken).ConfigureAwait(false);
    }

    private static async Task PutMultipartAsync(
        IAmazonS3 client, string bucket, string key, Stream content, string? contentType, byte[] first, int partSize, CancellationToken cancellationToken)
    {
        var initiate = new InitiateMultipartUploadRequest
        {
            BucketName = bucket,
            Key = key,
            ContentType = contentType,
            ChecksumAlgorithm = ChecksumAlgorithm.CRC32,
        };
        string uploadId = (await client.InitiateMultipartUploadAsync(initiate, cancellationToken).ConfigureAwait(false)).UploadId;

        var parts = new List<UploadPartResponse>();
        Task<UploadPartResponse>? partInFlight = null;
        try
        {
            byte[] sending = first;
            byte[] reading = new byte[partSize];
            int sendingLength = partSize;
            for (int partNumber = 1; ; partNumber++)
            {
                if (partNumber > MaxParts)
                {
                    throw new ObjectStoreException(
                        $"Object '{key}' is larger than {MaxParts} parts of {partSize} bytes; raise ObjectStore:S3:PartSize.");
                }

                partInFlight = UploadPartAsync(client, bucket, key, uploadId, partNumber, sending, sendingLength, cancellationToken);
                int readLength = await content.ReadAtLeastAsync(reading, partSize, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
                parts.Add(await partInFlight.ConfigureAwait(false));
                partInFlight = null;
                if (readLength == 0)
                {
                    break;
                }

                (sending, reading) = (reading, sending);
                sendingLength = readLength;
            }

            var complete = new CompleteMultipartUploadRequest { BucketName = bucket, Key = key, UploadId = uploadId };
            complete.AddPartETagsAndChecksums(parts);
            await client.CompleteMultipartUploadAsync(complete, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await AbortAsync(client, bucket, key, uploadId, partInFlight).ConfigureAwait(false);
            throw;
        }
    }

    private static Task<UploadPartResponse> UploadPartAsync(
        IAmazonS3 client, string bucket, string key, string uploadId, int partNumber, byte[] buffer, int length, CancellationToken cancellationToken)
    {
        var request = new UploadPartRequest
        {
            BucketName = bucket,
            Key = key,
            UploadId = uploadId,
            PartNumber = partNumber,
            InputStream = new MemoryStream(buffer, 0, length, writable: false),
            PartSize = length,
            ChecksumAlgorithm = ChecksumAlgorithm.CRC32,
        };
        return client.UploadPartAsync(request, cancellationToken);
    }

    /// <summary>Aborts a failed upload so that its parts are not kept (and billed); the original error is what the caller sees.</summary>
    private static async Task AbortAsync(IAmazonS3 client, string bucket, string key, string uploadId, Task<UploadPartResponse>? partInFlight)
    {
        if (partInFlight is not null)
        {
            try
            {
                // Let the part finish reading its buffer before the upload is torn down.
                await partInFlight.ConfigureAwait(false);
            }
            catch
            {
                // Its error, if any, is secondary to the one being reported.
            }
        }

        try
        {
            // Not the caller's token: a cancelled write must still clean up.
            await client.AbortMultipartUploadAsync(
                new AbortMultipartUploadRequest { BucketName = bucket, Key = key, UploadId = uploadId }, CancellationToken.None).ConfigureAwait(false);
        }
        catch (AmazonServiceException)
        {
            // Best effort: a bucket lifecycle rule for incomplete uploads is the backstop.
        }
        catch (HttpRequestException)
        {
            // The server is unreachable; see above.
        }
    }
}
