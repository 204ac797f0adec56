using System.Collections.Concurrent;
using System.Text.Json;
using Amazon.SQS;

namespace Sluice.Transports.AmazonSqs.Transport;

/// <summary>
/// The host's SQS client and SNS client with what they learn: queue URLs and ARNs, topic ARNs,
/// subscriptions made, and one batcher per destination for sends, publishes and deletes.
/// Shared by every endpoint of a bus.
/// </summary>
internal sealed class SqsConnection : IAsyncDisposable
{
    private const int ConcurrentBatchesPerDestination = 4;

    private readonly ConcurrentDictionary<string, Lazy<Task<QueueInfo>>> _queues = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lazy<Task<string>>> _topics = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lazy<Task>> _subscriptions = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Batcher<SendMessageBatchRequestEntry>> _sendBatchers = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Batcher<SnsEntry>> _publishBatchers = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Batcher<string>> _deleteBatchers = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _policyLock = new(1, 1);
    private readonly ConcurrentDictionary<string, HashSet<string>> _queueTopicSources = new(StringComparer.Ordinal);

    public SqsConnection(SqsHostSettings settings)
    {
        Settings = settings;
        var credentials = settings.ResolveCredentials();
        var config = new AmazonSQSConfig { Timeout = settings.RequestTimeout, MaxErrorRetry = 3 };
        if (settings.ServiceUrl is { } url)
        {
            config.ServiceURL = url.ToString();
            config.AuthenticationRegion = settings.Region;
        }
        else
        {
            config.RegionEndpoint = settings.RegionEndpoint;
        }
        Sqs = new AmazonSQSClient(credentials, config);
        Sns = new SnsClient(settings, credentials);
    }

    public SqsHostSettings Settings { get; }

    public IAmazonSQS Sqs { get; }

    public SnsClient Sns { get; }

    /// <summary>Creates the queue when it is missing (idempotent) and returns its URL and ARN.</summary>
    public Task<QueueInfo> GetQueue(string name, CancellationToken cancellationToken) =>
        _queues.GetOrAdd(name, n => new Lazy<Task<QueueInfo>>(() => CreateQueueAsync(n))).Value.WaitAsync(cancellationToken);

    private async Task<QueueInfo> CreateQueueAsync(string name)
    {
        try
        {
            var request = new CreateQueueRequest { QueueName = name, Attributes = new Dictionary<string, string>() };
            if (SqsEntityNames.IsFifo(name))
            {
                request.Attributes["FifoQueue"] = "true";
            }
            var created = await Sqs.CreateQueueAsync(request).ConfigureAwait(false);
            var attributes = await Sqs.GetQueueAttributesAsync(created.QueueUrl, ["QueueArn", "VisibilityTimeout"]).ConfigureAwait(false);
            return new QueueInfo(name, created.QueueUrl, attributes.QueueARN);
        }
        catch
        {
            _queues.TryRemove(name, out _);
            throw;
        }
    }

    public Task SetQueueAttributes(QueueInfo queue, Dictionary<string, string> attributes, CancellationToken cancellationToken) =>
        Sqs.SetQueueAttributesAsync(new SetQueueAttributesRequest { QueueUrl = queue.Url, Attributes = attributes }, cancellationToken);

    /// <summary>Creates the topic when it is missing (idempotent) and returns its ARN.</summary>
    public Task<string> GetTopicArn(string name, CancellationToken cancellationToken) =>
        _topics.GetOrAdd(name, n => new Lazy<Task<string>>(async () =>
        {
            try
            {
                return await Sns.CreateTopicAsync(n, CancellationToken.None).ConfigureAwait(false);
            }
            catch
            {
                _topics.TryRemove(n, out _);
                throw;
            }
        })).Value.WaitAsync(cancellationToken);

    /// <summary>
    /// Subscribes the queue to the topic with raw delivery and lets the topic write to the queue
    /// (the queue policy names every topic subscribed so far, as SNS needs on real AWS).
    /// </summary>
    public Task Subscribe(string topicArn, QueueInfo queue, CancellationToken cancellationToken) =>
        _subscriptions.GetOrAdd($"{topicArn}|{queue.Arn}", key => new Lazy<Task>(async () =>
        {
            try
            {
                await AllowTopic(queue, topicArn).ConfigureAwait(false);
                await Sns.SubscribeQueueAsync(topicArn, queue.Arn, CancellationToken.None).ConfigureAwait(false);
            }
            catch
            {
                _subscriptions.TryRemove(key, out _);
                throw;
            }
        })).Value.WaitAsync(cancellationToken);

    private async Task AllowTopic(QueueInfo queue, string topicArn)
    {
        await _policyLock.WaitAsync().ConfigureAwait(false);
        try
        {
            var sources = _queueTopicSources.GetOrAdd(queue.Url, _ => new HashSet<string>(StringComparer.Ordinal));
            if (!sources.Add(topicArn))
            {
                return;
            }
            var policy = JsonSerializer.Serialize(new
            {
                Version = "2012-10-17",
                Statement = new[]
                {
                    new
                    {
                        Sid = "SluiceTopicsToQueue",
                        Effect = "Allow",
                        Principal = new { Service = "sns.amazonaws.com" },
                        Action = "sqs:SendMessage",
                        Resource = queue.Arn,
                        Condition = new { ArnEquals = new Dictionary<string, string[]> { ["aws:SourceArn"] = sources.Order().ToArray() } },
                    },
                },
            });
            await SetQueueAttributes(queue, new Dictionary<string, string> { ["Policy"] = policy }, CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            _policyLock.Release();
        }
    }

    public Task Send(QueueInfo queue, SendMessageBatchRequestEntry entry, CancellationToken cancellationToken) =>
        _sendBatchers.GetOrAdd(queue.Url, url => new Batcher<SendMessageBatchRequestEntry>(async (entries, token) =>
        {
            // Ids only need to be unique within one request.
            for (var i = 0; i < entries.Count; i++)
            {
                entries[i].Id = i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }
            var response = await Sqs.SendMessageBatchAsync(new SendMessageBatchRequest { QueueUrl = url, Entries = entries.ToList() }, token).ConfigureAwait(false);
            return Outcomes(entries.Count, response.Failed?.Select(f => (f.Id, $"{f.Code}: {f.Message}")), $"SQS send to {queue.Name}");
        }, ConcurrentBatchesPerDestination)).Add(entry, cancellationToken);

    public Task Publish(string topicArn, SnsEntry entry, CancellationToken cancellationToken) =>
        _publishBatchers.GetOrAdd(topicArn, arn => new Batcher<SnsEntry>(async (entries, token) =>
        {
            var numbered = entries.Select((e, i) => e with { Id = i.ToString(System.Globalization.CultureInfo.InvariantCulture) }).ToList();
            var failed = await Sns.PublishBatchAsync(arn, numbered, token).ConfigureAwait(false);
            return Outcomes(entries.Count, failed.Select(f => (f.Key, f.Value)), $"SNS publish to {arn}");
        }, ConcurrentBatchesPerDestination)).Add(entry, cancellationToken);

    public Task Delete(QueueInfo queue, string receiptHandle, CancellationToken cancellationToken) =>
        _deleteBatchers.GetOrAdd(queue.Url, url => new Batcher<string>(async (handles, token) =>
        {
            var response = await Sqs.DeleteMessageBatchAsync(new DeleteMessageBatchRequest
            {
                QueueUrl = url,
                Entries = handles.Select((h, i) => new DeleteMessageBatchRequestEntry(i.ToString(System.Globalization.CultureInfo.InvariantCulture), h)).ToList(),
            }, token).ConfigureAwait(false);
            return Outcomes(handles.Count, response.Failed?.Select(f => (f.Id, $"{f.Code}: {f.Message}")), $"SQS delete from {queue.Name}");
        }, ConcurrentBatchesPerDestination)).Add(receiptHandle, cancellationToken);

    private static IReadOnlyList<Exception?> Outcomes(int count, IEnumerable<(string Id, string Reason)>? failures, string what)
    {
        var results = new Exception?[count];
        foreach (var (id, reason) in failures ?? [])
        {
            if (int.TryParse(id, System.Globalization.CultureInfo.InvariantCulture, out var index) && index >= 0 && index < count)
            {
                results[index] = new AmazonSQSException($"{what} failed: {reason}");
            }
        }
        return results;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var batcher in _sendBatchers.Values)
        {
            await batcher.DisposeAsync().ConfigureAwait(false);
        }
        foreach (var batcher in _publishBatchers.Values)
        {
            await batcher.DisposeAsync().ConfigureAwait(false);
        }
        foreach (var batcher in _deleteBatchers.Values)
        {
            await batcher.DisposeAsync().ConfigureAwait(false);
        }
        Sqs.Dispose();
        Sns.Dispose();
    }
}

/// <summary>A queue the connection has created or found.</summary>
internal sealed record QueueInfo(string Name, string Url, string Arn);
