using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using Sluice.Contracts;
using Sluice.Ingestion.Sources;
using Sluice.Ingestion.Storage;

namespace Sluice.Ingestion.Streams;

/// <summary>
/// Push streams: their definitions in the store, and their logs and throttles while the service
/// runs (opened at first use, or by the flusher at start).
/// </summary>
internal sealed partial class StreamRegistry(IngestionStore store, IOptions<IngestionOptions> options, TimeProvider time) : IDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<StreamRuntime>> _open = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public StreamRuntime Create(string name, int shardCount, string destinationPrefix, string ruleset)
    {
        var prefix = destinationPrefix.Length == 0 ? "raw" : destinationPrefix;
        var problems = new List<(string, string)>();
        if (!SourceDefinitionParser.IsValidSourceName(name))
        {
            problems.Add(("name", "must be 1-63 lowercase letters, digits, '_' or '-', starting with a letter or digit."));
        }
        var maxShards = options.Value.Streams.MaxShards;
        if (shardCount < 1 || shardCount > maxShards)
        {
            problems.Add(("shard_count", $"must be between 1 and {maxShards}."));
        }
        if (!Prefix().IsMatch(prefix) || prefix.Contains("//", StringComparison.Ordinal) || prefix.EndsWith('/'))
        {
            problems.Add(("destination_prefix", $"'{prefix}' must be lowercase letters, digits, '_', '-', '=' and inner '/' (e.g. raw)."));
        }
        if (ruleset.Length > StreamLimits.MaxRulesetLength)
        {
            problems.Add(("ruleset", $"is longer than {StreamLimits.MaxRulesetLength} characters."));
        }
        if (problems.Count > 0)
        {
            throw RichStatus.InvalidArgument("The stream is not valid: " + string.Join("; ", problems.Select(p => $"{p.Item1}: {p.Item2}")), [.. problems]);
        }
        lock (_gate)
        {
            if (store.GetSource(name) is not null)
            {
                throw new StreamExistsException(name, "source");
            }
            var definition = new StoredStream(name, shardCount, prefix, ruleset.Length == 0 ? null : ruleset, time.GetUtcNow());
            if (!store.InsertStream(definition))
            {
                throw new StreamExistsException(name, "stream");
            }
            // A folder left by a stream of the same name deleted earlier holds nothing of this one.
            var directory = DirectoryOf(name);
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
            var runtime = new StreamRuntime(definition, directory, new Dictionary<int, (long, long, long, int)>(), options.Value.Streams, time);
            _open[name] = new Lazy<StreamRuntime>(runtime);
            return runtime;
        }
    }

    /// <summary>The open stream, opened from the store when this run has not used it yet.</summary>
    public StreamRuntime Get(string name)
    {
        if (_open.TryGetValue(name, out var open) && !open.Value.Deleted)
        {
            return open.Value;
        }
        lock (_gate)
        {
            var definition = store.GetStream(name) ?? throw new StreamNotFoundException(name);
            return _open.GetOrAdd(name, _ => new Lazy<StreamRuntime>(() =>
                new StreamRuntime(definition, DirectoryOf(name), store.StreamCheckpoints(name), options.Value.Streams, time))).Value;
        }
    }

    /// <summary>Every stream in the store, opened.</summary>
    public IReadOnlyList<StreamRuntime> All()
    {
        var all = new List<StreamRuntime>();
        var after = "";
        while (true)
        {
            var page = store.ListStreams(after, 500);
            foreach (var stream in page)
            {
                try
                {
                    all.Add(Get(stream.Name));
                }
                catch (StreamNotFoundException)
                {
                    // Deleted meanwhile.
                }
            }
            if (page.Count < 500)
            {
                return all;
            }
            after = page[^1].Name;
        }
    }

    /// <summary>Forgets a stream whose last records have landed: its row, checkpoints and log folder.</summary>
    public void Remove(StreamRuntime stream)
    {
        lock (_gate)
        {
            store.DeleteStream(stream.Name);
            stream.Removed = true;
            _open.TryRemove(stream.Name, out _);
            stream.Dispose();
            try
            {
                Directory.Delete(stream.Directory, recursive: true);
            }
            catch (DirectoryNotFoundException)
            {
            }
        }
    }

    public void Dispose()
    {
        foreach (var open in _open.Values.Where(o => o.IsValueCreated))
        {
            open.Value.Dispose();
        }
    }

    private string DirectoryOf(string name) => Path.Combine(options.Value.StreamsDirectory, name);

    [GeneratedRegex("^[a-z0-9][a-z0-9_/=-]{0,200}$")]
    private static partial Regex Prefix();
}
