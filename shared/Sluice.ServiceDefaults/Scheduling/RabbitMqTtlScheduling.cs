using MassTransit;
using MassTransit.Configuration;
using MassTransit.Context;
using MassTransit.Scheduling;

namespace Sluice.ServiceDefaults;

/// <summary>
/// MassTransit's message scheduler on RabbitMQ without the delayed-exchange plugin: a scheduled
/// send goes to the delay queue of its destination (see <see cref="RabbitMqDelayedDelivery"/>)
/// instead of carrying an x-delay header that only the plugin understands.
/// </summary>
internal sealed class RabbitMqTtlScheduleMessageProvider(ISendEndpointProvider sender, RabbitMqDelayQueues queues) : IScheduleMessageProvider
{
    public async Task<ScheduledMessage<T>> ScheduleSend<T>(Uri destinationAddress, DateTime scheduledTime, T message, IPipe<SendContext<T>> pipe,
        CancellationToken cancellationToken)
        where T : class
    {
        var delay = (scheduledTime.Kind == DateTimeKind.Local ? scheduledTime.ToUniversalTime() : scheduledTime) - DateTime.UtcNow;
        var tokenId = ScheduleTokenIdCache<T>.GetTokenId(message);
        var sendPipe = new ScheduledSendPipe<T>(pipe, tokenId);
        if (delay <= TimeSpan.Zero)
        {
            var now = await sender.GetSendEndpoint(destinationAddress).ConfigureAwait(false);
            await now.Send(message, sendPipe, cancellationToken).ConfigureAwait(false);
            return new ScheduledMessageHandle<T>(tokenId, scheduledTime, destinationAddress, message);
        }
        var destination = new RabbitMqEndpointAddress(queues.HostAddress, destinationAddress);
        var exchange = await queues.DeclareAsync(destination, RabbitMqDelayedDelivery.QueueDelay(delay), cancellationToken).ConfigureAwait(false);
        var waiting = await sender.GetSendEndpoint(new Uri($"exchange:{exchange}")).ConfigureAwait(false);
        await waiting.Send(message, sendPipe, cancellationToken).ConfigureAwait(false);
        return new ScheduledMessageHandle<T>(tokenId, scheduledTime, destinationAddress, message);
    }

    // A message in a delay queue cannot be taken back: it is delivered, and its consumer decides
    // whether it still matters (the saga discards checks of statements that have ended).
    public Task CancelScheduledSend(Guid tokenId, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task CancelScheduledSend(Uri destinationAddress, Guid tokenId, CancellationToken cancellationToken) => Task.CompletedTask;

    private sealed class ScheduledSendPipe<T>(IPipe<SendContext<T>> inner, Guid tokenId) : IPipe<SendContext<T>>
        where T : class
    {
        public async Task Send(SendContext<T> context)
        {
            context.ScheduledMessageId = tokenId;
            context.Headers.Set(MessageHeaders.SchedulingTokenId, tokenId.ToString("D"));
            if (inner.IsNotEmpty())
            {
                await inner.Send(context).ConfigureAwait(false);
            }
            // The delay queue is the wait: a Delay would route the message to an x-delayed-message
            // exchange, which needs the plugin.
            context.Delay = null;
        }

        public void Probe(ProbeContext context) => inner.Probe(context);
    }
}

/// <summary>Gives every consumed message a scheduler on delay queues, as UseDelayedMessageScheduler does with the transport's own delay.</summary>
internal sealed class RabbitMqTtlSchedulerFilter(RabbitMqDelayQueues queues) : IFilter<ConsumeContext>, IPipeSpecification<ConsumeContext>
{
    public Task Send(ConsumeContext context, IPipe<ConsumeContext> next)
    {
        context.GetOrAddPayload<MessageSchedulerContext>(() => new ConsumeMessageSchedulerContext(context, Create));
        return next.Send(context);
    }

    private IMessageScheduler Create(ConsumeContext context) =>
        new MessageScheduler(new RabbitMqTtlScheduleMessageProvider(context, queues), context.GetPayload<IBusTopology>());

    public void Apply(IPipeBuilder<ConsumeContext> builder) => builder.AddFilter(this);

    public IEnumerable<ValidationResult> Validate() => [];

    public void Probe(ProbeContext context) => context.CreateFilterScope("rabbitMqTtlScheduler");
}
