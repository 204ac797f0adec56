using System.Net;
using System.Net.Sockets;
using System.Text;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Sluice.ObjectStore.Tests.Infrastructure;

namespace Sluice.ObjectStore.Tests;

/// <summary>What is particular to <see cref="S3ObjectStore"/>: how objects land in the bucket, multipart uploads, paging, and its options.</summary>
[Collection(FauxqsCollection.Name)]
public sealed class S3ObjectStoreTests(FauxqsFixture fauxqs)
{
    private const int Megabyte = 1024 * 1024;

    [Fact]
    public async Task PutAsync_StoreWithPrefix_StoresObjectUnderPrefixInBucket()
    {
        string prefix = $"tenants/{Guid.NewGuid():N}";
        using var store = new S3ObjectStore(fauxqs.CreateOptions(prefix + "/"));
        using AmazonS3Client client = fauxqs.CreateClient();

        await store.PutTextAsync("raw/orders/part-00000.ndjson", "{}");

        ListObjectsV2Response listing = await client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = FauxqsFixture.Bucket, Prefix = prefix });
        Assert.Equal([$"{prefix}/raw/orders/part-00000.ndjson"], listing.S3Objects!.Select(o => o.Key));
        Assert.Equal(["raw/orders/part-00000.ndjson"], await store.ListKeysAsync(""));
    }

    [Fact]
    public async Task ListAsync_ObjectsOutsideStorePrefix_AreNotListed()
    {
        string tenant = $"tenants/{Guid.NewGuid():N}";
        using var acme = new S3ObjectStore(fauxqs.CreateOptions($"{tenant}/acme"));
        using var acmeCorp = new S3ObjectStore(fauxqs.CreateOptions($"{tenant}/acme-corp"));

        await acme.PutTextAsync("raw/a.ndjson", "a");
        await acmeCorp.PutTextAsync("raw/b.ndjson", "b");

        Assert.Equal(["raw/a.ndjson"], await acme.ListKeysAsync(""));
        Assert.Equal(["raw/b.ndjson"], await acmeCorp.ListKeysAsync(""));
    }

    [Fact]
    public async Task PutAsync_ContentType_IsRecordedOnObject()
    {
        using var store = new S3ObjectStore(fauxqs.CreateOptions());
        using AmazonS3Client client = fauxqs.CreateClient();

        await store.PutAsync("raw/part-00000.ndjson", new MemoryStream("{}"u8.ToArray()), "application/x-ndjson");

        GetObjectMetadataResponse metadata = await client.GetObjectMetadataAsync(FauxqsFixture.Bucket, store.KeyPrefix + "raw/part-00000.ndjson");
        Assert.Equal("application/x-ndjson", metadata.Headers.ContentType);
    }

    [Fact]
    public async Task PutAsync_LargerThanPartSize_IsStoredByMultipartUploadWithContentType()
    {
        using var store = new S3ObjectStore(fauxqs.CreateOptions());
        using AmazonS3Client client = fauxqs.CreateClient();
        const long length = (11L * Megabyte) + 7;

        await store.PutAsync("raw/big.ndjson", new PatternStream(length, seed: 21), "application/x-ndjson");

        GetObjectMetadataResponse metadata = await client.GetObjectMetadataAsync(FauxqsFixture.Bucket, store.KeyPrefix + "raw/big.ndjson");

        // A multipart object's ETag ends with the number of parts: 11 MiB + 7 bytes in 5 MiB parts is 3.
        Assert.EndsWith("-3\"", metadata.ETag);
        Assert.Equal("application/x-ndjson", metadata.Headers.ContentType);
        Assert.Equal(await ObjectStoreAssertions.HashPatternAsync(length, seed: 21), await store.HashObjectAsync("raw/big.ndjson"));
    }

    [Fact]
    public async Task PutAsync_SmallerThanPartSize_IsStoredBySinglePut()
    {
        using var store = new S3ObjectStore(fauxqs.CreateOptions());
        using AmazonS3Client client = fauxqs.CreateClient();

        await store.PutAsync("raw/small.ndjson", new PatternStream(Megabyte, seed: 22));

        GetObjectMetadataResponse metadata = await client.GetObjectMetadataAsync(FauxqsFixture.Bucket, store.KeyPrefix + "raw/small.ndjson");
        Assert.DoesNotContain("-", metadata.ETag);
    }

    [Fact]
    public async Task ListAsync_SmallPageSize_PagesThroughSeveralListingRequests()
    {
        using AmazonS3Client client = fauxqs.CreateClient();
        int listRequests = 0;
        client.BeforeRequestEvent += (_, e) =>
        {
            if (e is WebServiceRequestEventArgs { Request: ListObjectsV2Request })
            {
                Interlocked.Increment(ref listRequests);
            }
        };
        S3ObjectStoreOptions options = fauxqs.CreateOptions(listPageSize: 4);
        using var writer = new S3ObjectStore(options);
        string[] keys = Enumerable.Range(0, 10).Select(i => $"raw/part-{i:D5}.ndjson").ToArray();
        foreach (string key in keys)
        {
            await writer.PutTextAsync(key, key);
        }

        var store = new S3ObjectStore(client, options);
        List<string> listed = await store.ListKeysAsync("raw/");

        Assert.Equal(keys, listed);
        Assert.Equal(3, listRequests);
    }

    [Fact]
    public async Task ListAsync_KeysWrittenByOtherToolsThatBreakKeyRules_AreLeftOut()
    {
        using var store = new S3ObjectStore(fauxqs.CreateOptions());
        using AmazonS3Client client = fauxqs.CreateClient();
        await store.PutTextAsync("raw/good.ndjson", "{}");

        // A console-made "folder" marker and a key with an empty segment: valid in S3, not store keys.
        await client.PutObjectAsync(new PutObjectRequest { BucketName = FauxqsFixture.Bucket, Key = store.KeyPrefix + "raw/folder/", ContentBody = "" });
        await client.PutObjectAsync(new PutObjectRequest { BucketName = FauxqsFixture.Bucket, Key = store.KeyPrefix + "raw//double.ndjson", ContentBody = "" });

        Assert.Equal(["raw/good.ndjson"], await store.ListKeysAsync(""));
    }

    [Fact]
    public async Task EveryOperation_InvalidKey_NeverContactsTheServer()
    {
        // A listening socket accepts (queues) any connection attempt, so a pending connection after
        // the calls would prove the store did I/O before checking the key.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        S3ObjectStoreOptions options = fauxqs.CreateOptions();
        options.ServiceUrl = $"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}";
        using var store = new S3ObjectStore(options);

        foreach ((string key, _) in InvalidKeys.Cases.Values)
        {
            await Assert.ThrowsAsync<InvalidObjectKeyException>(() => store.PutAsync(key, new UnreadableStream()));
            await Assert.ThrowsAsync<InvalidObjectKeyException>(() => store.OpenReadAsync(key));
            await Assert.ThrowsAsync<InvalidObjectKeyException>(() => store.DeleteAsync(key));
            await Assert.ThrowsAsync<InvalidObjectKeyException>(() => store.TryGetInfoAsync(key));
            await Assert.ThrowsAsync<InvalidObjectKeyException>(() => store.ExistsAsync(key));
        }

        foreach ((string prefix, _) in InvalidKeys.PrefixCases.Values)
        {
            await Assert.ThrowsAsync<InvalidObjectKeyException>(() => store.ListKeysAsync(prefix));
        }

        Assert.False(listener.Pending(), "The store opened a connection for an invalid key.");
    }

    [Fact]
    public async Task PutAsync_KeyWithinLimitOnlyWithoutStorePrefix_IsRejectedAsTooLong()
    {
        S3ObjectStoreOptions options = fauxqs.CreateOptions(prefix: "p/" + new string('x', 22));
        using var store = new S3ObjectStore(options);
        Assert.Equal(25, Encoding.UTF8.GetByteCount(store.KeyPrefix));

        var error = await Assert.ThrowsAsync<InvalidObjectKeyException>(() => store.PutTextAsync(InvalidKeys.LongKey(1000, "a"), "x"));
        Assert.Equal(ObjectKeyProblem.TooLong, error.Problem);

        string longest = InvalidKeys.LongKey(999, "a");
        await store.PutTextAsync(longest, "fits");
        Assert.Equal("fits", await store.ReadAllTextAsync(longest));
    }

    [Fact]
    public async Task PutAsync_KeyOfExactly1024Bytes_RoundTrips()
    {
        using var store = new S3ObjectStore(fauxqs.CreateOptions(prefix: ""));
        string key = InvalidKeys.LongKey(1024, "€");

        await store.PutTextAsync(key, "at the limit");

        Assert.Equal("at the limit", await store.ReadAllTextAsync(key));
        await store.DeleteAsync(key);
    }

    [Fact]
    public async Task OpenReadAsync_MissingBucket_ThrowsServiceErrorNotObjectNotFound()
    {
        S3ObjectStoreOptions options = fauxqs.CreateOptions();
        options.Bucket = "sluice-no-such-bucket";
        using var store = new S3ObjectStore(options);

        var error = await Assert.ThrowsAsync<AmazonS3Exception>(() => store.OpenReadAsync("raw/a.ndjson"));

        Assert.Equal("NoSuchBucket", error.ErrorCode);
    }

    public static TheoryData<string, string> InvalidOptionCases => new()
    {
        { "missing bucket", "Bucket" },
        { "bucket with capitals", "Bucket" },
        { "prefix with dot-dot", "Prefix" },
        { "relative service URL", "ServiceUrl" },
        { "access key without secret", "SecretKey" },
        { "page size over 1000", "ListPageSize" },
        { "part size under 5 MiB", "PartSize" },
    };

    [Theory]
    [MemberData(nameof(InvalidOptionCases))]
    public void Constructor_InvalidOptions_ThrowsArgumentExceptionNamingSetting(string caseName, string setting)
    {
        S3ObjectStoreOptions options = fauxqs.CreateOptions();
        switch (caseName)
        {
            case "missing bucket": options.Bucket = null; break;
            case "bucket with capitals": options.Bucket = "Sluice_Data"; break;
            case "prefix with dot-dot": options.Prefix = "tenants/../other"; break;
            case "relative service URL": options.ServiceUrl = "127.0.0.1:4566"; break;
            case "access key without secret": options.SecretKey = null; break;
            case "page size over 1000": options.ListPageSize = 1001; break;
            case "part size under 5 MiB": options.PartSize = Megabyte; break;
        }

        var error = Assert.Throws<ArgumentException>(() => new S3ObjectStore(options));

        Assert.Contains($"ObjectStore:S3:{setting}", error.Message);
    }
}
