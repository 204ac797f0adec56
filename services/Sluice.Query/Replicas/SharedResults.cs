using Sluice.ObjectStore;
using Sluice.Query.Statements;

namespace Sluice.Query.Replicas;

/// <summary>
/// Result files where every replica can read them: the runner copies each one to the object store
/// (key <c>query-results/{part}.batches</c>) before its statement is FINISHED; another replica
/// downloads it once into its own results directory and reads it from there. A replica never
/// reads another's directory, even on the same machine: that replica's retention deletes its files.
/// </summary>
public sealed class SharedResults
{
    private const string KeyPrefix = "query-results/";
    private readonly IObjectStore? _store;
    private readonly string _resultsDirectory;
    private readonly string _cacheDirectory;

    /// <param name="store">The shared object store; null keeps results in the runner's directory only.</param>
    /// <param name="resultsDirectory">Where this replica writes its results; copies of other replicas' go in its <c>replicas</c> folder.</param>
    public SharedResults(IObjectStore? store, string resultsDirectory)
    {
        _store = store;
        _resultsDirectory = resultsDirectory.Length == 0 ? "" : Path.GetFullPath(resultsDirectory) + Path.DirectorySeparatorChar;
        _cacheDirectory = resultsDirectory.Length == 0 ? "" : Path.Combine(_resultsDirectory, "replicas");
    }

    /// <summary>Results stay with the process that wrote them (the embedded profile).</summary>
    public static SharedResults None { get; } = new(null, "");

    /// <summary>Whether results go to the object store.</summary>
    public bool IsShared => _store is not null;

    /// <summary>Copies a finished part's result file to the object store.</summary>
    /// <exception cref="QueryException">ExecuteStatementException naming the object store when the copy fails.</exception>
    internal async Task ShareAsync(string partId, StoredResult result, CancellationToken cancellationToken)
    {
        if (_store is null)
        {
            return;
        }
        try
        {
            await using var file = new FileStream(result.FilePath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 64 * 1024, FileOptions.Asynchronous);
            await _store.PutAsync(KeyOf(partId), file, "application/x-protobuf", cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // Not FINISHED with a result no other replica could read.
            throw new QueryException(QueryErrorType.ExecuteStatementException,
                $"The result could not be copied to the object store (Sluice:ObjectStore) for the other replicas ({ReplicaOptions.SectionName}:ShareResults): {exception.Message}");
        }
    }

    /// <summary>
    /// The result readable from this process: as it is when this replica wrote it (or results are
    /// not shared and its file is reachable), else a copy of the shared one (downloaded once, then
    /// kept until retention removes it).
    /// </summary>
    /// <exception cref="QueryException">ResourceNotFoundException when it is neither here nor shared.</exception>
    internal async Task<StoredResult> LocalAsync(string partId, StoredResult result, CancellationToken cancellationToken)
    {
        var ours = _resultsDirectory.Length == 0 || Path.GetFullPath(result.FilePath).StartsWith(_resultsDirectory, StringComparison.Ordinal);
        if (ours || (_store is null && File.Exists(result.FilePath)))
        {
            return result; // A file of ours that retention deleted answers "no longer kept" when read.
        }
        if (_store is null)
        {
            throw new QueryException(QueryErrorType.ResourceNotFoundException,
                $"The result of statement '{partId}' is in the directory of the replica that ran it, and results are not shared: set {ReplicaOptions.SectionName}:ShareResults to true.",
                "Id", partId);
        }
        var copy = Path.Combine(_cacheDirectory, FileNameOf(partId));
        if (!File.Exists(copy))
        {
            Directory.CreateDirectory(_cacheDirectory);
            // Downloaded beside its final name and renamed, so a concurrent reader never sees half a file.
            var partial = copy + "." + Guid.NewGuid().ToString("N") + ".partial";
            try
            {
                await using (var source = await _store.OpenReadAsync(KeyOf(partId), cancellationToken).ConfigureAwait(false))
                await using (var target = new FileStream(partial, FileMode.CreateNew, FileAccess.Write, FileShare.None, 64 * 1024, FileOptions.Asynchronous))
                {
                    await source.CopyToAsync(target, cancellationToken).ConfigureAwait(false);
                }
                File.Move(partial, copy, overwrite: true);
            }
            catch (ObjectNotFoundException)
            {
                throw new QueryException(QueryErrorType.ResourceNotFoundException, "The statement's result is no longer kept: its retention period ended.");
            }
            finally
            {
                File.Delete(partial);
            }
        }
        return new StoredResult(copy, result.Columns, result.Batches, result.TotalRows, result.SizeBytes);
    }

    /// <summary>Deletes the shared copies of these parts' results (their statements were discarded or expired).</summary>
    internal async Task ForgetAsync(IReadOnlyCollection<string> partIds, CancellationToken cancellationToken)
    {
        if (_store is null)
        {
            return;
        }
        foreach (var partId in partIds)
        {
            await _store.DeleteAsync(KeyOf(partId), cancellationToken).ConfigureAwait(false);
            File.Delete(Path.Combine(_cacheDirectory, FileNameOf(partId)));
        }
    }

    /// <summary>Deletes downloaded copies older than <paramref name="cutoff"/> (their statements' retention ended on the runner).</summary>
    internal void PruneCopies(DateTimeOffset cutoff)
    {
        if (_store is null || !Directory.Exists(_cacheDirectory))
        {
            return;
        }
        foreach (var file in new DirectoryInfo(_cacheDirectory).EnumerateFiles())
        {
            if (file.LastWriteTimeUtc < cutoff.UtcDateTime)
            {
                try
                {
                    file.Delete();
                }
                catch (IOException)
                {
                    // A reader has it open; the next pass deletes it.
                }
            }
        }
    }

    private static string FileNameOf(string partId) => partId.Replace(':', '_') + ".batches";

    private static string KeyOf(string partId) => KeyPrefix + FileNameOf(partId);
}
