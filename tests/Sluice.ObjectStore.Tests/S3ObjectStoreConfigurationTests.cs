using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Sluice.ObjectStore.Tests.Infrastructure;

namespace Sluice.ObjectStore.Tests;

/// <summary>The S3 store as a service would get it: configured by keys, resolved from DI, used against fauxqs.</summary>
[Collection(FauxqsCollection.Name)]
public sealed class S3ObjectStoreConfigurationTests(FauxqsFixture fauxqs)
{
    [Fact]
    public async Task AddSluiceObjectStore_S3Provider_StoresAndListsThroughTheServer()
    {
        string prefix = $"di/{Guid.NewGuid():N}";
        IConfiguration configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Sluice:ObjectStore:Provider"] = "S3",
                ["Sluice:ObjectStore:S3:Bucket"] = FauxqsFixture.Bucket,
                ["Sluice:ObjectStore:S3:Prefix"] = prefix,
                ["Sluice:ObjectStore:S3:ServiceUrl"] = fauxqs.ServiceUrl,
                ["Sluice:ObjectStore:S3:AccessKey"] = FauxqsFixture.AccessKey,
                ["Sluice:ObjectStore:S3:SecretKey"] = FauxqsFixture.SecretKey,
                ["Sluice:ObjectStore:S3:ForcePathStyle"] = "true",
            })
            .Build();
        await using ServiceProvider services = new ServiceCollection()
            .AddSluiceObjectStore(configuration.GetSection(ObjectStoreOptions.SectionName))
            .BuildServiceProvider();
        IObjectStore store = services.GetRequiredService<IObjectStore>();

        await store.PutTextAsync("raw/orders/part-00000.ndjson", "{\"id\":1}");

        Assert.Equal("{\"id\":1}", await store.ReadAllTextAsync("raw/orders/part-00000.ndjson"));
        Assert.Equal(["raw/orders/part-00000.ndjson"], await store.ListKeysAsync(""));
        using var client = fauxqs.CreateClient();
        Assert.NotNull(await client.GetObjectMetadataAsync(FauxqsFixture.Bucket, $"{prefix}/raw/orders/part-00000.ndjson"));
    }
}
