using Amazon.SQS.Model;

namespace Sluice.Transports.AmazonSqs.Transport;

/// <summary>
/// Holds one message's lease: its visibility is extended at 70% of the visibility timeout while a
/// consumer runs, it is deleted when the consumer completes (or the message moved to the error
/// queue), and made visible again at once when the transport could not finish it.
/// </summary>
internal sealed class SqsReceiveLockContext : ReceiveLockContext
{
    private readonly SqsConnection _connection;
    private readonly QueueInfo _queue;
    private readonly Message _message;
    private readonly SqsReceiveSettings _settings;
    private readonly Uri _inputAddress;
    private readonly CancellationTokenSource _active = new();
    private readonly DateTime _startedAt = DateTime.UtcNow;
    private readonly Task _extending;
    private volatile bool _locked = true;

    private readonly CancellationToken _receiverStopped;

    /// <param name="receiverStopped">
    /// Cancelled once the receiver has stopped: a message its consumer neither completed nor
    /// faulted by then (a consumer cancelled at shutdown) is released for the next consumer.
    /// </param>
    public SqsReceiveLockContext(SqsConnection connection, QueueInfo queue, Message message, SqsReceiveSettings settings, Uri inputAddress,
        CancellationToken receiverStopped)
    {
        _receiverStopped = receiverStopped;
        _connection = connection;
        _queue = queue;
        _message = message;
        _settings = settings;
        _inputAddress = inputAddress;
        _extending = Task.Run(ExtendVisibility);
    }

    public async Task Complete()
    {
        await StopExtending().ConfigureAwait(false);
        try
        {
            await _connection.Delete(_queue, _message.ReceiptHandle, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is ReceiptHandleIsInvalidException or MessageNotInflightException)
        {
            _locked = false;
            throw;
        }
    }

    public async Task Faulted(Exception exception)
    {
        await StopExtending().ConfigureAwait(false);
        try
        {
            // Visible again now, for this or another consumer, rather than after the timeout.
            await _connection.Sqs.ChangeMessageVisibilityAsync(_queue.Url, _message.ReceiptHandle, 0).ConfigureAwait(false);
        }
        catch (Exception failure) when (failure is Amazon.Runtime.AmazonServiceException or Amazon.Runtime.AmazonClientException or HttpRequestException)
        {
            LogContext.Warning?.Log(failure, "Could not release message {MessageId} on {Queue} after {Exception}", _message.MessageId, _queue.Name, exception.Message);
        }
        finally
        {
            _locked = false;
        }
    }

    public Task ValidateLockStatus() =>
        _locked ? Task.CompletedTask : throw new TransportException(_inputAddress, $"The lease on message {_message.MessageId} was lost.");

    private async Task ReleaseUnfinished()
    {
        _locked = false;
        try
        {
            await _connection.Sqs.ChangeMessageVisibilityAsync(_queue.Url, _message.ReceiptHandle, 0).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is Amazon.Runtime.AmazonServiceException or Amazon.Runtime.AmazonClientException or HttpRequestException)
        {
            // It comes back by itself once its visibility timeout runs out.
            LogContext.Warning?.Log(exception, "Could not release unfinished message {MessageId} on {Queue}", _message.MessageId, _queue.Name);
        }
    }

    private async Task StopExtending()
    {
        if (!_active.IsCancellationRequested)
        {
            await _active.CancelAsync().ConfigureAwait(false);
        }
        await _extending.ConfigureAwait(false);
        _active.Dispose();
    }

    private async Task ExtendVisibility()
    {
        var timeout = _settings.VisibilityTimeout;
        var interval = TimeSpan.FromSeconds(timeout * 0.7);
        using var waiting = CancellationTokenSource.CreateLinkedTokenSource(_active.Token, _receiverStopped);
        while (!_active.IsCancellationRequested)
        {
            try
            {
                try
                {
                    await Task.Delay(interval, waiting.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!_active.IsCancellationRequested)
                {
                    await ReleaseUnfinished().ConfigureAwait(false);
                    return;
                }
                if (DateTime.UtcNow - _startedAt > _settings.MaxVisibilityExtension)
                {
                    return;
                }
                await _connection.Sqs.ChangeMessageVisibilityAsync(_queue.Url, _message.ReceiptHandle, timeout, _active.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Exception exception) when (exception is ReceiptHandleIsInvalidException or MessageNotInflightException)
            {
                _locked = false;
                return;
            }
            catch (Exception exception) when (exception is Amazon.Runtime.AmazonServiceException or Amazon.Runtime.AmazonClientException or HttpRequestException)
            {
                // A transient failure: the next attempt comes sooner, within the remaining lease.
                LogContext.Warning?.Log(exception, "Could not extend the visibility of message {MessageId} on {Queue}", _message.MessageId, _queue.Name);
                interval = TimeSpan.FromSeconds(Math.Max(1, timeout * 0.1));
            }
        }
    }
}
