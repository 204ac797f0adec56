using System.Diagnostics;
using Amazon.SQS.Model;

namespace Sluice.Transports.AmazonSqs.Transport;

/// <summary>
/// Holds one message's lease: its visibility is extended while a consumer runs, 30% of the
/// visibility timeout before the lease would run out; it is deleted when the consumer completes
/// (or the message moved to the error queue), and made visible again at once when the transport
/// could not finish it.
/// </summary>
/// <remarks>
/// A lease can still run out (an extension held up past the timeout on a loaded machine, or
/// extending stopped at MaxVisibilityTimeout), and SQS then hands the message out again with a new
/// receipt handle; this receipt handle no longer deletes or releases it (SQS accepts the call and
/// does nothing). If the new receipt comes to this endpoint while the consumer still runs,
/// MassTransit holds it back as a duplicate of the message in progress and, when this lease's
/// Complete or Faulted throws, passes the call on to the duplicate. So both throw once the lease
/// is known lost; returning quietly would leave the newer receipt extended for hours and the
/// message neither deleted nor consumed.
/// </remarks>
internal sealed class SqsReceiveLockContext : ReceiveLockContext
{
    /// <summary>Extend this long before the lease ends, as a share of the visibility timeout.</summary>
    private const double RenewalMargin = 0.3;

    private readonly SqsConnection _connection;
    private readonly QueueInfo _queue;
    private readonly Message _message;
    private readonly SqsReceiveSettings _settings;
    private readonly Uri _inputAddress;
    private readonly CancellationToken _receiverStopped;
    private readonly CancellationTokenSource _active = new();
    private readonly long _startedAt = Stopwatch.GetTimestamp();
    private readonly Task _extending;

    /// <summary>When the lease ends at the latest, as a Stopwatch timestamp: counted from when the last extension was sent.</summary>
    private long _leaseEndsAt;

    private volatile bool _lost;

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
        _leaseEndsAt = _startedAt + Stopwatch.Frequency * settings.VisibilityTimeout;
        _extending = Task.Run(ExtendVisibility);
    }

    /// <summary>The lease was refused by SQS, or its time ran out with no extension.</summary>
    private bool LeaseLost => _lost || Stopwatch.GetTimestamp() >= Volatile.Read(ref _leaseEndsAt);

    public async Task Complete()
    {
        await StopExtending().ConfigureAwait(false);
        var lost = LeaseLost;
        try
        {
            // Even with the lease run out this receipt may still be the newest one, and then it
            // deletes the message: the work is done, so it should not be handed out again.
            await _connection.Delete(_queue, _message.ReceiptHandle, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is ReceiptHandleIsInvalidException or MessageNotInflightException)
        {
            _lost = true;
            throw LeaseLostException("completed", exception);
        }
        if (lost)
        {
            _lost = true;
            throw LeaseLostException("completed", null);
        }
    }

    public async Task Faulted(Exception exception)
    {
        await StopExtending().ConfigureAwait(false);
        if (LeaseLost)
        {
            // The message is visible again already, or held under a newer receipt this one cannot release.
            _lost = true;
            throw LeaseLostException("faulted", exception);
        }
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
            _lost = true;
        }
    }

    public Task ValidateLockStatus() =>
        LeaseLost ? throw new TransportException(_inputAddress, $"The lease on message {_message.MessageId} was lost.") : Task.CompletedTask;

    private TransportException LeaseLostException(string outcome, Exception? inner)
    {
        var message = $"The lease on message {_message.MessageId} ran out before its consumer {outcome}: SQS may hand it out again "
            + $"(visibility timeout {_settings.VisibilityTimeout} s, held {Stopwatch.GetElapsedTime(_startedAt).TotalSeconds:F1} s).";
        return inner is null ? new TransportException(_inputAddress, message) : new TransportException(_inputAddress, message, inner);
    }

    private async Task ReleaseUnfinished()
    {
        _lost = true;
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
    }

    private async Task ExtendVisibility()
    {
        var timeout = _settings.VisibilityTimeout;
        var margin = (long)(Stopwatch.Frequency * timeout * RenewalMargin);
        var retryAfterFailure = TimeSpan.FromSeconds(Math.Max(1, timeout * 0.1));
        var nextAt = _leaseEndsAt - margin;
        using var waiting = CancellationTokenSource.CreateLinkedTokenSource(_active.Token, _receiverStopped);
        while (!_active.IsCancellationRequested)
        {
            try
            {
                try
                {
                    var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), nextAt);
                    if (wait > TimeSpan.Zero)
                    {
                        await Task.Delay(wait, waiting.Token).ConfigureAwait(false);
                    }
                    waiting.Token.ThrowIfCancellationRequested();
                }
                catch (OperationCanceledException) when (!_active.IsCancellationRequested)
                {
                    await ReleaseUnfinished().ConfigureAwait(false);
                    return;
                }
                if (Stopwatch.GetElapsedTime(_startedAt) > _settings.MaxVisibilityTimeout)
                {
                    LogContext.Warning?.Log("Message {MessageId} on {Queue} has been in its consumer longer than {MaxVisibilityTimeout}: its lease is no longer extended",
                        _message.MessageId, _queue.Name, _settings.MaxVisibilityTimeout);
                    return;
                }
                var sentAt = Stopwatch.GetTimestamp();
                await _connection.Sqs.ChangeMessageVisibilityAsync(_queue.Url, _message.ReceiptHandle, timeout, _active.Token).ConfigureAwait(false);
                var endsAt = sentAt + Stopwatch.Frequency * timeout;
                Volatile.Write(ref _leaseEndsAt, endsAt);
                nextAt = endsAt - margin;
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Exception exception) when (exception is ReceiptHandleIsInvalidException or MessageNotInflightException)
            {
                _lost = true;
                return;
            }
            catch (Exception exception) when (exception is Amazon.Runtime.AmazonServiceException or Amazon.Runtime.AmazonClientException or HttpRequestException)
            {
                // A transient failure: the next attempt comes sooner, within the remaining lease.
                LogContext.Warning?.Log(exception, "Could not extend the visibility of message {MessageId} on {Queue}", _message.MessageId, _queue.Name);
                nextAt = Stopwatch.GetTimestamp() + (long)(Stopwatch.Frequency * retryAfterFailure.TotalSeconds);
            }
        }
    }
}
