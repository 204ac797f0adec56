using Sluice.ObjectStore;
using Sluice.ObjectStore.Tests.Infrastructure;

namespace Sluice.Query.Tests;

/// <summary>Query hosts whose lake is a local directory or an S3 bucket (fauxqs), with a store client for the test to land parts.</summary>
internal static class LakeHosts
{
    /// <summary>A host reading the lake in <paramref name="root"/>, in place.</summary>
    public static async Task<(QueryHost Host, IObjectStore Store)> LocalAsync(string root)
    {
        var host = await QueryHost.StartAsync(new Dictionary<string, string?>(), new Dictionary<string, string?> { ["Sluice:ObjectStore:LocalRoot"] = root });
        return (host, new LocalDirectoryObjectStore(root));
    }

    /// <summary>A host reading the lake in a fresh prefix of fauxqs's bucket, through the object store.</summary>
    public static async Task<(QueryHost Host, IObjectStore Store)> S3Async(FauxqsFixture fauxqs)
    {
        var options = fauxqs.CreateOptions();
        var host = await QueryHost.StartAsync(new Dictionary<string, string?>(), new Dictionary<string, string?>
        {
            ["Sluice:ObjectStore:Provider"] = "S3",
            ["Sluice:ObjectStore:S3:Bucket"] = options.Bucket,
            ["Sluice:ObjectStore:S3:Prefix"] = options.Prefix,
            ["Sluice:ObjectStore:S3:ServiceUrl"] = options.ServiceUrl,
            ["Sluice:ObjectStore:S3:Region"] = options.Region,
            ["Sluice:ObjectStore:S3:AccessKey"] = options.AccessKey,
            ["Sluice:ObjectStore:S3:SecretKey"] = options.SecretKey,
            ["Sluice:ObjectStore:S3:ForcePathStyle"] = "true",
        });
        return (host, ObjectStoreFactory.Create(new ObjectStoreOptions { Provider = ObjectStoreProviders.S3, S3 = options }));
    }
}
