using Sluice.ObjectStore.Tests.Infrastructure;

namespace Sluice.ObjectStore.Tests;

/// <summary>The shared contract, run against <see cref="S3ObjectStore"/> on a real fauxqs server, each test under its own key prefix.</summary>
[Collection(FauxqsCollection.Name)]
public sealed class S3ObjectStoreContractTests(FauxqsFixture fauxqs) : ObjectStoreContractTests
{
    private readonly string _prefix = $"contract/{Guid.NewGuid():N}";

    protected override IObjectStore CreateStore(int listPageSize) =>
        new S3ObjectStore(fauxqs.CreateOptions(_prefix, listPageSize));
}
