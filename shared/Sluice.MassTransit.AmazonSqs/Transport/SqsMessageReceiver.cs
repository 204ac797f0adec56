using System.Globalization;
using System.Text;
using MassTransit.Middleware;
using MassTransit.Util;

namespace Sluice.Transports.AmazonSqs.Transport;

/// <summary>
/// The receive loop of one endpoint: long-poll ReceiveMessage calls (up to ten messages each),
/// with MassTransit's request-rate algorithm keeping PrefetchCount messages in hand and at most
/// ConcurrentMessageLimit in consumers. On a FIFO queue a message group runs one at a time.
/// </summary>
internal sealed class SqsMessageReceiver : ConsumerAgent<string>
{
    private static readonly List<string> SystemAttributes = ["ApproximateReceiveCount", "MessageGroupId", "SentTimestamp"];

    private readonly ClientContext _client;
    private readonly SqsReceiveEndpointContext _endpoint;
    private readonly SqsReceiveSettings _settings;
    private readonly QueueInfo _queue;
    private readonly PartitionChannelExecutorPool<Message>? _groups;

    public SqsMessageReceiver(ClientContext client, SqsReceiveEndpointContext endpoint)
        : base(endpoint, StringComparer.Ordinal)
    {
        _client = client;
        _endpoint = endpoint;
        _settings = endpoint.Settings;
        _queue = endpoint.Queue ?? throw new InvalidOperationException("The receive topology was not deployed before the receiver started.");
        if (_settings.IsFifo)
        {
            _groups = new PartitionChannelExecutorPool<Message>(GroupKey, new Murmur3UnsafeHashGenerator(), _settings.ConcurrentMessageLimit,
                _settings.ConcurrentMessageLimit);
        }
        TrySetConsumeTask(Task.Run(Consume));
    }

    protected override async Task ActiveAndActualAgentsCompleted(StopContext context)
    {
        await base.ActiveAndActualAgentsCompleted(context).ConfigureAwait(false);
        if (_groups is not null)
        {
            await _groups.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task Consume()
    {
        using var algorithm = new RequestRateAlgorithm(new RequestRateAlgorithmOptions
        {
            PrefetchCount = _settings.PrefetchCount,
            ConcurrentResultLimit = _settings.ConcurrentMessageLimit,
            RequestResultLimit = 10,
        });
        SetReady();
        try
        {
            while (!IsStopping)
            {
                await algorithm.Run(ReceiveMessages, Handle, Stopping).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (Stopping.IsCancellationRequested)
        {
        }
        catch (Exception exception)
        {
            LogContext.Warning?.Log(exception, "SQS receive loop of {Queue} faulted", _queue.Name);
            throw;
        }
    }

    private Task Handle(Message message, CancellationToken cancellationToken) =>
        _groups is not null ? _groups.Run(message, () => HandleMessage(message), cancellationToken) : HandleMessage(message);

    private async Task<IEnumerable<Message>> ReceiveMessages(int limit, CancellationToken cancellationToken)
    {
        // A long poll is not cancelled when the endpoint stops: SQS (and fauxqs) may still hand a
        // message to a poll whose caller went away, and that message would stay invisible for the
        // whole visibility timeout. The poll runs out (at most WaitTimeSeconds) and whatever it
        // brings after the stop is released at once for the next consumer.
        var poll = _client.Connection.Sqs.ReceiveMessageAsync(new ReceiveMessageRequest
        {
            QueueUrl = _queue.Url,
            MaxNumberOfMessages = Math.Clamp(limit, 1, 10),
            WaitTimeSeconds = _settings.WaitTimeSeconds,
            MessageAttributeNames = ["All"],
            MessageSystemAttributeNames = SystemAttributes,
        }, CancellationToken.None);
        try
        {
            var response = await poll.WaitAsync(cancellationToken).ConfigureAwait(false);
            var messages = response.Messages ?? [];
            if (!IsStopping)
            {
                return messages;
            }
            await Task.WhenAll(messages.Select(Release)).ConfigureAwait(false);
            return [];
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The stop does not wait for the poll; the poll releases what it brings when it returns.
            _ = poll.ContinueWith(t => t.IsCompletedSuccessfully ? Task.WhenAll((t.Result.Messages ?? []).Select(Release)) : Task.CompletedTask,
                CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).Unwrap();
            return [];
        }
    }

    private async Task HandleMessage(Message message)
    {
        if (IsStopping)
        {
            // Received as the endpoint stopped: visible again at once for the next consumer.
            await Release(message).ConfigureAwait(false);
            return;
        }
        message.MessageAttributes ??= [];
        message.Attributes ??= [];
        if (await HopIfNotDue(message).ConfigureAwait(false))
        {
            return;
        }

        // SQS counts every hand-out; a count above one means an earlier receive did not delete it.
        var redelivered = message.Attributes.TryGetValue("ApproximateReceiveCount", out var count)
            && int.TryParse(count, CultureInfo.InvariantCulture, out var receiveCount) && receiveCount > 1;
        var lockContext = new SqsReceiveLockContext(_client.Connection, _queue, message, _settings, _endpoint.InputAddress, Stopped);
        var context = new SqsReceiveContext(message, redelivered, _endpoint, _client, _queue);
        try
        {
            await Dispatch(message.MessageId, context, lockContext).ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            context.LogTransportFaulted(exception);
        }
        finally
        {
            context.Dispose();
        }
    }

    /// <summary>
    /// A message delayed past SQS's fifteen minutes (or published with a delay, which SNS cannot
    /// hold) carries its due time; until then it goes back to this queue with the longest delay
    /// SQS allows, and the copy in hand is deleted.
    /// </summary>
    private async Task<bool> HopIfNotDue(Message message)
    {
        if (!message.MessageAttributes.TryGetValue(SqsHeaders.DueAt, out var dueAttribute)
            || !long.TryParse(dueAttribute.StringValue, CultureInfo.InvariantCulture, out var dueAt))
        {
            return false;
        }
        var remaining = DateTimeOffset.FromUnixTimeMilliseconds(dueAt) - DateTimeOffset.UtcNow;
        // Delivered only once due, never early: a hop for the last fraction of a second costs one
        // more send, an early delivery would break the delay's promise.
        if (remaining <= TimeSpan.Zero)
        {
            return false;
        }
        if (_settings.IsFifo)
        {
            return false;
        }
        var hop = new SendMessageBatchRequestEntry("", message.Body)
        {
            MessageAttributes = message.MessageAttributes,
            DelaySeconds = (int)Math.Min(Math.Ceiling(remaining.TotalSeconds), SqsSendTransportContext.MaxDelaySeconds),
        };
        await _client.Connection.Send(_queue, hop, Stopping).ConfigureAwait(false);
        await _client.Connection.Delete(_queue, message.ReceiptHandle, Stopping).ConfigureAwait(false);
        return true;
    }

    private async Task Release(Message message)
    {
        try
        {
            await _client.Connection.Sqs.ChangeMessageVisibilityAsync(_queue.Url, message.ReceiptHandle, 0).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is Amazon.Runtime.AmazonServiceException or Amazon.Runtime.AmazonClientException or HttpRequestException)
        {
            LogContext.Warning?.Log(exception, "Could not release message {MessageId} on {Queue}", message.MessageId, _queue.Name);
        }
    }

    private static byte[] GroupKey(Message message) =>
        message.Attributes is not null && message.Attributes.TryGetValue("MessageGroupId", out var group) && group.Length > 0
            ? Encoding.UTF8.GetBytes(group)
            : [];
}
