namespace Sluice.ObjectStore.Tests;

/// <summary>The shared contract, run against <see cref="LocalDirectoryObjectStore"/> in a temporary directory.</summary>
public sealed class LocalDirectoryObjectStoreContractTests : ObjectStoreContractTests
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "sluice-object-store-tests", Guid.NewGuid().ToString("N"));

    protected override IObjectStore CreateStore(int listPageSize) => new LocalDirectoryObjectStore(_root);

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }
}
