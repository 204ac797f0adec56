using Sluice.ObjectStore;

namespace Sluice.Validation.Tests;

/// <summary>An object store passing every call to <paramref name="inner"/>; test doubles override what they watch.</summary>
public abstract class DelegatingObjectStore(IObjectStore inner) : IObjectStore
{
    public virtual Task<Stream> OpenReadAsync(string key, CancellationToken cancellationToken = default) => inner.OpenReadAsync(key, cancellationToken);

    public virtual Task PutAsync(string key, Stream content, string? contentType = null, CancellationToken cancellationToken = default) =>
        inner.PutAsync(key, content, contentType, cancellationToken);

    public virtual IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, CancellationToken cancellationToken = default) => inner.ListAsync(prefix, cancellationToken);

    public virtual Task DeleteAsync(string key, CancellationToken cancellationToken = default) => inner.DeleteAsync(key, cancellationToken);

    public virtual Task<ObjectInfo?> TryGetInfoAsync(string key, CancellationToken cancellationToken = default) => inner.TryGetInfoAsync(key, cancellationToken);

    public virtual Task<bool> ExistsAsync(string key, CancellationToken cancellationToken = default) => inner.ExistsAsync(key, cancellationToken);
}
