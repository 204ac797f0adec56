using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Sluice.ObjectStore;

namespace Sluice.Validation.Tests;

/// <summary>An object store that counts how often each object was opened for reading.</summary>
public sealed class CountingObjectStore(IObjectStore inner) : DelegatingObjectStore(inner)
{
    private readonly ConcurrentDictionary<string, int> _opens = new(StringComparer.Ordinal);

    public int OpensOf(string key) => _opens.TryGetValue(key, out var count) ? count : 0;

    public override Task<Stream> OpenReadAsync(string key, CancellationToken cancellationToken = default)
    {
        _opens.AddOrUpdate(key, 1, (_, count) => count + 1);
        return base.OpenReadAsync(key, cancellationToken);
    }
}

/// <summary>The service with default CustomSql settings over a <see cref="CountingObjectStore"/>; tests use keys of their own.</summary>
public sealed class CountingObjectStoreHost : IAsyncLifetime
{
    private readonly TestDirectories _directories = new();

    public ValidationHost Host { get; private set; } = null!;

    public CountingObjectStore Objects { get; private set; } = null!;

    /// <summary>A folder for files a test expects the service NOT to create.</summary>
    public string Scratch => _directories.Root;

    public async Task InitializeAsync()
    {
        Objects = new CountingObjectStore(new LocalDirectoryObjectStore(_directories.Objects));
        Host = await ValidationHost.StartAsync(_directories, configureServices: services => services.AddSingleton<IObjectStore>(Objects));
    }

    public async Task DisposeAsync()
    {
        await Host.DisposeAsync();
        _directories.Dispose();
    }
}
