using System.Net;
using System.Runtime.CompilerServices;
using System.Text;
using Amazon;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace Sluice.ObjectStore;

/// <summary>
/// An <see cref="IObjectStore"/> on an S3 bucket (Amazon S3 or any S3-compatible server), optionally
/// under a key prefix.
/// </summary>
/// <remarks>
/// <para>Objects up to <see cref="S3ObjectStoreOptions.PartSize"/> are sent in one PutObject; larger
/// ones, and streams of unknown length, as a multipart upload read part by part from the stream (at
/// most two parts in memory), which is aborted if the write fails or is cancelled. S3 makes either
/// kind of write visible only when it completes.</para>
/// <para>Listings page through ListObjectsV2 <see cref="S3ObjectStoreOptions.ListPageSize"/> keys at
/// a time and leave out keys other tools wrote that break the key rules (such as "folder/" markers).</para>
/// </remarks>
public sealed class S3ObjectStore : IObjectStore, IDisposable
{
    /// <summary>
    /// How many parts of one file upload are sent at once: enough to keep a server busy while it
    /// answers each part (one at a time, a 64 MiB spool part waited on every round trip), few enough
    /// not to crowd out other uploads.
    /// </summary>
    public const int ConcurrentFileParts = 4;

    private readonly IAmazonS3 _client;
    private readonly bool _ownsClient;
    private readonly string _bucket;
    private readonly string _keyPrefix;
    private readonly int _maxKeyUtf8Bytes;
    private readonly int _listPageSize;
    private readonly int _partSize;

    /// <summary>Creates a store with its own S3 client built from <paramref name="options"/>.</summary>
    /// <exception cref="ArgumentException">The options are invalid; the message names each wrong setting.</exception>
    public S3ObjectStore(S3ObjectStoreOptions options)
        : this(CreateClient(ThrowIfInvalid(options)), options, ownsClient: true)
    {
    }

    /// <summary>
    /// Creates a store on a client the caller owns (and disposes). Only the bucket, prefix, paging and
    /// part-size settings of <paramref name="options"/> are used; the connection settings are the client's.
    /// </summary>
    /// <exception cref="ArgumentException">The options are invalid; the message names each wrong setting.</exception>
    public S3ObjectStore(IAmazonS3 client, S3ObjectStoreOptions options)
        : this(client, ThrowIfInvalid(options), ownsClient: false)
    {
    }

    private S3ObjectStore(IAmazonS3 client, S3ObjectStoreOptions options, bool ownsClient)
    {
        ArgumentNullException.ThrowIfNull(client);
        _client = client;
        _ownsClient = ownsClient;
        _bucket = options.Bucket!;
        _keyPrefix = string.IsNullOrEmpty(options.Prefix) ? "" : options.Prefix.TrimEnd('/') + "/";
        _maxKeyUtf8Bytes = ObjectKey.MaxUtf8Bytes - Encoding.UTF8.GetByteCount(_keyPrefix);
        _listPageSize = options.ListPageSize;
        _partSize = options.PartSize;
    }

    /// <summary>The bucket the objects are stored in.</summary>
    public string Bucket => _bucket;

    /// <summary>The key prefix (ending with '/') every object of this store is stored under in the bucket, or empty.</summary>
    public string KeyPrefix => _keyPrefix;

    /// <inheritdoc />
    public Task PutAsync(string key, Stream content, string? contentType = null, CancellationToken cancellationToken = default)
    {
        string s3Key = ToS3Key(key);
        ArgumentNullException.ThrowIfNull(content);
        return S3StreamingUpload.UploadAsync(_client, _bucket, s3Key, content, contentType, _partSize, cancellationToken);
    }

    /// <summary>
    /// Writes the file at <paramref name="path"/> as the object <paramref name="key"/>; a file larger
    /// than <see cref="S3ObjectStoreOptions.PartSize"/> goes as a multipart upload of up to
    /// <see cref="ConcurrentFileParts"/> parts at a time, each read from its range of the file.
    /// </summary>
    public Task PutFileAsync(string key, string path, string? contentType = null, CancellationToken cancellationToken = default)
    {
        string s3Key = ToS3Key(key);
        ArgumentException.ThrowIfNullOrEmpty(path);
        return S3StreamingUpload.UploadFileAsync(_client, _bucket, s3Key, path, contentType, _partSize, ConcurrentFileParts, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<Stream> OpenReadAsync(string key, CancellationToken cancellationToken = default)
    {
        string s3Key = ToS3Key(key);
        try
        {
            GetObjectResponse response = await _client.GetObjectAsync(new GetObjectRequest { BucketName = _bucket, Key = s3Key }, cancellationToken)
                .ConfigureAwait(false);
            return new S3ObjectReadStream(response);
        }
        catch (AmazonS3Exception exception) when (IsMissingObject(exception))
        {
            throw new ObjectNotFoundException(key, exception);
        }
    }

    /// <inheritdoc />
    public IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        return ListCoreAsync(prefix, cancellationToken);
    }

    /// <inheritdoc />
    public async Task DeleteAsync(string key, CancellationToken cancellationToken = default)
    {
        string s3Key = ToS3Key(key);
        await _client.DeleteObjectAsync(new DeleteObjectRequest { BucketName = _bucket, Key = s3Key }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<ObjectInfo?> TryGetInfoAsync(string key, CancellationToken cancellationToken = default)
    {
        string s3Key = ToS3Key(key);
        try
        {
            GetObjectMetadataResponse metadata = await _client.GetObjectMetadataAsync(
                new GetObjectMetadataRequest { BucketName = _bucket, Key = s3Key }, cancellationToken).ConfigureAwait(false);
            return new ObjectInfo(key, metadata.ContentLength, ToUtc(metadata.LastModified));
        }
        catch (AmazonS3Exception exception) when (IsMissingObject(exception))
        {
            return null;
        }
    }

    /// <inheritdoc />
    public async Task<bool> ExistsAsync(string key, CancellationToken cancellationToken = default) =>
        await TryGetInfoAsync(key, cancellationToken).ConfigureAwait(false) is not null;

    /// <summary>Disposes the S3 client when this store created it.</summary>
    public void Dispose()
    {
        if (_ownsClient)
        {
            _client.Dispose();
        }
    }

    private async IAsyncEnumerable<ObjectInfo> ListCoreAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (ObjectKey.Check(prefix, isPrefix: true, _maxKeyUtf8Bytes) is { } error)
        {
            throw error;
        }

        var request = new ListObjectsV2Request { BucketName = _bucket, Prefix = _keyPrefix + prefix, MaxKeys = _listPageSize };
        while (true)
        {
            ListObjectsV2Response page = await _client.ListObjectsV2Async(request, cancellationToken).ConfigureAwait(false);

            // AWSSDK v4 leaves empty collections null.
            foreach (S3Object item in page.S3Objects ?? [])
            {
                string key = item.Key[_keyPrefix.Length..];
                if (ObjectKey.Check(key, isPrefix: false, _maxKeyUtf8Bytes) is null)
                {
                    yield return new ObjectInfo(key, item.Size ?? 0, ToUtc(item.LastModified));
                }
            }

            if (page.IsTruncated != true || string.IsNullOrEmpty(page.NextContinuationToken))
            {
                yield break;
            }

            request.ContinuationToken = page.NextContinuationToken;
        }
    }

    /// <summary>Checks a key (the prefix counts against S3's length limit) and prepends the store's prefix.</summary>
    private string ToS3Key(string key)
    {
        if (ObjectKey.Check(key, isPrefix: false, _maxKeyUtf8Bytes) is { } error)
        {
            throw error;
        }

        return _keyPrefix + key;
    }

    private static bool IsMissingObject(AmazonS3Exception exception) =>
        exception.StatusCode == HttpStatusCode.NotFound && exception.ErrorCode != "NoSuchBucket";

    private static DateTimeOffset ToUtc(DateTime? time) => time switch
    {
        null => DateTimeOffset.MinValue,
        { Kind: DateTimeKind.Unspecified } value => new DateTimeOffset(value, TimeSpan.Zero),
        { } value => new DateTimeOffset(value.ToUniversalTime(), TimeSpan.Zero),
    };

    private static S3ObjectStoreOptions ThrowIfInvalid(S3ObjectStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        List<string> failures = ObjectStoreOptionsValidator.ValidateS3(options);
        if (failures.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", failures), nameof(options));
        }

        return options;
    }

    private static AmazonS3Client CreateClient(S3ObjectStoreOptions options)
    {
        var config = new AmazonS3Config { ForcePathStyle = options.ForcePathStyle };
        if (options.ServiceUrl is not null)
        {
            config.ServiceURL = options.ServiceUrl;

            // Requests to a custom endpoint are still signed for a region.
            config.AuthenticationRegion = options.Region ?? "us-east-1";
        }
        else if (options.Region is not null)
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(options.Region);
        }

        if (string.IsNullOrEmpty(options.AccessKey))
        {
            // The SDK's default chain: environment, shared profile, container or instance role.
            return new AmazonS3Client(config);
        }

        AWSCredentials credentials = string.IsNullOrEmpty(options.SessionToken)
            ? new BasicAWSCredentials(options.AccessKey, options.SecretKey)
            : new SessionAWSCredentials(options.AccessKey, options.SecretKey, options.SessionToken);
        return new AmazonS3Client(credentials, config);
    }
}
