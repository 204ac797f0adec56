using System.Buffers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Sluice.Contracts;
using Sluice.Ingestion.Sources;
using Sluice.Ingestion.V1;

namespace Sluice.Ingestion.Streams;

/// <summary>
/// PutRecords: checks a batch whole (a malformed one is refused with every problem named by record
/// index and field), then routes each record to its shard by hash, admits it through the shard's
/// throttle and writes it to the shard's log (<see cref="Append"/>); the answer waits until the
/// logs are synced (<see cref="PendingPut.CompleteAsync"/>), so that a PutRecordsStream call can
/// write its next batch while the previous one is being synced. Each record gets its own result:
/// a sequence number, or why it was refused.
/// </summary>
internal sealed class StreamRecordWriter(StreamRegistry streams, ILogger<StreamRecordWriter> logger)
{
    public async Task<PutRecordsResponse> PutAsync(PutRecordsRequest request) => await Append(request, batch: null).CompleteAsync().ConfigureAwait(false);

    /// <param name="batch">The batch's index in a PutRecordsStream call, named in errors; null for PutRecords.</param>
    public PendingPut Append(PutRecordsRequest request, int? batch)
    {
        if (!SourceDefinitionParser.IsValidSourceName(request.StreamName))
        {
            throw Invalid(batch, ("stream_name", $"'{Shorten(request.StreamName)}' is not a stream name."));
        }
        var lines = Check(request, batch);
        var stream = streams.Get(request.StreamName);
        var shardCount = stream.Definition.ShardCount;
        var shards = new int[lines.Length];
        for (var i = 0; i < lines.Length; i++)
        {
            var entry = request.Records[i];
            var hash = entry.ExplicitHashKey.Length > 0 && ShardHash.TryParse(entry.ExplicitHashKey, out var explicitHash) ? explicitHash : ShardHash.Of(entry.PartitionKey);
            shards[i] = ShardHash.ShardOf(hash, shardCount);
        }

        var pending = new PendingPut(stream, lines.Length, logger);
        // Shards in the order their first record appears; a batch's records keep their order within each shard.
        foreach (var shard in shards.Distinct())
        {
            var log = stream.Logs[shard];
            var throttle = stream.Throttles[shard];
            var accepted = new List<(int Index, long Position)>();
            lock (log.Gate)
            {
                if (stream.Deleted)
                {
                    throw new StreamNotFoundException(stream.Name);
                }
                for (var i = 0; i < lines.Length; i++)
                {
                    if (shards[i] != shard)
                    {
                        continue;
                    }
                    var entry = request.Records[i];
                    if (log.Broken)
                    {
                        pending.Refuse(i, StreamLimits.InternalFailureCode, "The shard's log failed; the service must be restarted before it takes records again.");
                    }
                    else if (!throttle.TryTake(entry.Data.Length + Encoding.UTF8.GetByteCount(entry.PartitionKey)))
                    {
                        pending.Refuse(i, StreamLimits.ThrottledCode, $"Rate exceeded for shard {ShardHash.ShardId(shard)} in stream {stream.Name}.");
                    }
                    else
                    {
                        accepted.Add((i, log.Append(lines[i].Span)));
                    }
                }
                if (accepted.Count == 0)
                {
                    continue;
                }
                try
                {
                    pending.Written(shard, log.Write(), accepted);
                }
                catch (IOException exception)
                {
                    IngestionLog.StreamWriteFailed(logger, stream.Name, ShardHash.ShardId(shard), exception);
                    foreach (var (index, _) in accepted)
                    {
                        pending.Refuse(index, StreamLimits.InternalFailureCode, "The record could not be written; retry it.");
                    }
                }
            }
        }
        return pending;
    }

    /// <summary>Characters as Kinesis counts them (Unicode scalar values), without allocating.</summary>
    private static int CharacterCount(string text)
    {
        var count = 0;
        foreach (var _ in text.EnumerateRunes())
        {
            count++;
        }
        return count;
    }

    /// <summary>Every record's problems, or each record's JSON on one line without its '\n' (its data itself, compacted only when it spans several lines).</summary>
    private static ReadOnlyMemory<byte>[] Check(PutRecordsRequest request, int? batch)
    {
        var count = request.Records.Count;
        if (count is 0 or > StreamLimits.MaxBatchRecords)
        {
            throw Invalid(batch, ("records", $"holds {count} records; a batch holds 1 to {StreamLimits.MaxBatchRecords}."));
        }
        var problems = new List<(string, string)>();
        var lines = new ReadOnlyMemory<byte>[count];
        long total = 0;
        for (var i = 0; i < count && problems.Count < 20; i++)
        {
            var entry = request.Records[i];
            var key = entry.PartitionKey;
            var keyLength = CharacterCount(key);
            if (keyLength is 0 or > StreamLimits.MaxPartitionKeyLength)
            {
                problems.Add(($"records[{i}].partition_key", $"has {keyLength} characters; it must have 1 to {StreamLimits.MaxPartitionKeyLength}."));
            }
            if (entry.ExplicitHashKey.Length > 0 && !ShardHash.TryParse(entry.ExplicitHashKey, out _))
            {
                problems.Add(($"records[{i}].explicit_hash_key", "must be a decimal integer from 0 to 2^128 - 1."));
            }
            var size = entry.Data.Length + Encoding.UTF8.GetByteCount(key);
            total += size;
            if (size > StreamLimits.MaxRecordBytes)
            {
                problems.Add(($"records[{i}].data", $"the record is {size} bytes with its partition key; at most {StreamLimits.MaxRecordBytes} (1 MiB)."));
                continue;
            }
            if (Line(entry.Data.Memory) is { } line)
            {
                lines[i] = line;
            }
            else
            {
                problems.Add(($"records[{i}].data", "must be one JSON object in UTF-8 (it becomes one NDJSON line in the lake)."));
            }
        }
        if (total > StreamLimits.MaxBatchBytes)
        {
            problems.Add(("records", $"the batch is {total} bytes; at most {StreamLimits.MaxBatchBytes} (5 MiB)."));
        }
        if (problems.Count > 0)
        {
            throw Invalid(batch, [.. problems]);
        }
        return lines;
    }

    /// <summary>The data as one line (without its '\n'), or null when it is not a single JSON object; data already on one line is used as it is, not copied.</summary>
    private static ReadOnlyMemory<byte>? Line(ReadOnlyMemory<byte> data)
    {
        var span = data.Span;
        try
        {
            var reader = new Utf8JsonReader(span, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }
            reader.Skip();
            if (reader.Read())
            {
                return null; // Something follows the object.
            }
        }
        catch (JsonException)
        {
            return null;
        }
        if (span.IndexOfAny((byte)'\n', (byte)'\r') < 0)
        {
            return data;
        }
        // Whitespace between tokens may hold line breaks (strings cannot): write it compact.
        var buffer = new ArrayBufferWriter<byte>(span.Length);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            using var document = JsonDocument.Parse(data);
            document.RootElement.WriteTo(writer);
        }
        return buffer.WrittenMemory;
    }

    private static global::Grpc.Core.RpcException Invalid(int? batch, params (string Field, string Description)[] problems)
    {
        var prefix = batch is { } index ? $"batch {index}: " : "";
        var named = problems.Select(p => (prefix.Length == 0 ? p.Field : $"batch[{batch}].{p.Field}", p.Description)).ToArray();
        return RichStatus.InvalidArgument(prefix + "the batch was refused: " + string.Join("; ", problems.Select(p => $"{p.Field}: {p.Description}")), named);
    }

    private static string Shorten(string text) => text.Length <= 80 ? text : text[..80] + "...";
}

/// <summary>A batch written to its shards' logs, answered once they are synced.</summary>
internal sealed class PendingPut(StreamRuntime stream, int count, ILogger logger)
{
    private readonly PutRecordsResultEntry[] _results = new PutRecordsResultEntry[count];
    private readonly List<(int Shard, long Version, List<(int Index, long Position)> Records)> _written = [];
    private int _failed;

    public void Refuse(int index, string code, string message)
    {
        _results[index] = new PutRecordsResultEntry { ErrorCode = code, ErrorMessage = message };
        _failed++;
    }

    public void Written(int shard, long version, List<(int Index, long Position)> records) => _written.Add((shard, version, records));

    /// <summary>Waits for the logs to be synced: acknowledged records get their sequence numbers; those a failed sync left unsure are refused.</summary>
    public async Task<PutRecordsResponse> CompleteAsync()
    {
        foreach (var (shard, version, records) in _written)
        {
            var shardId = ShardHash.ShardId(shard);
            if (await stream.Logs[shard].SyncAsync(version).ConfigureAwait(false))
            {
                foreach (var (index, position) in records)
                {
                    _results[index] = new PutRecordsResultEntry { ShardId = shardId, SequenceNumber = ShardHash.SequenceNumber(shard, position) };
                }
                continue;
            }
            IngestionLog.StreamSyncFailed(logger, stream.Name, shardId);
            foreach (var (index, _) in records)
            {
                Refuse(index, StreamLimits.InternalFailureCode, "The record could not be made durable; retry it.");
            }
        }
        var response = new PutRecordsResponse { FailedRecordCount = _failed };
        response.Records.Add(_results);
        return response;
    }
}
