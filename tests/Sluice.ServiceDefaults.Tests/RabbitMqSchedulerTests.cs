using System.Text;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Sluice.ServiceDefaults.Tests;

/// <summary>
/// The message scheduler AddSluiceBus gives a RabbitMQ bus (no delayed-exchange plugin): a
/// scheduled send waits in a delay queue and reaches its destination, dead-lettered, when due.
/// </summary>
public sealed class RabbitMqSchedulerTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task ScheduleSend_FromTheContainersScheduler_ArrivesThroughTheDelayQueueNoEarlierThanDue()
    {
        var broker = Environment.GetEnvironmentVariable("SLUICE_TEST_RABBITMQ_ISOLATED") is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException("SLUICE_TEST_RABBITMQ_ISOLATED is not set: start the servers with `bash deploy/test-servers.sh start` and `eval \"$(bash deploy/test-servers.sh env)\"`, or run `bash tests/run.sh`.");
        var queue = "reminders-" + Guid.NewGuid().ToString("N")[..8];
        var received = new TaskCompletionSource<(Reminder Message, DateTime At, string? DeadLetteredFrom)>(TaskCreationOptions.RunContinuationsAsynchronously);
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Development" });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Sluice:Broker:Transport"] = "RabbitMq", ["Sluice:Broker:RabbitMqUri"] = broker });
        builder.Services.AddSingleton(received);
        builder.AddSluiceBusParticipant(bus => bus.AddConsumer<ReminderConsumer>().Endpoint(e =>
        {
            e.Name = queue;
            e.Temporary = true;
        }));
        builder.AddSluiceBus();
        using var host = builder.Build();
        using var timeout = new CancellationTokenSource(Timeout);
        await host.StartAsync(timeout.Token);
        try
        {
            var delay = TimeSpan.FromMilliseconds(1500);
            var reminder = new Reminder(Guid.NewGuid());
            var sentAt = DateTime.UtcNow;
            using (var scope = host.Services.CreateScope())
            {
                await scope.ServiceProvider.GetRequiredService<IMessageScheduler>().ScheduleSend(new Uri($"queue:{queue}"), sentAt + delay, reminder, timeout.Token);
            }

            var (message, at, deadLetteredFrom) = await received.Task.WaitAsync(Timeout);
            Assert.Equal(reminder, message);
            Assert.True(at >= sentAt + delay - TimeSpan.FromMilliseconds(50), $"Delivered {(at - sentAt).TotalMilliseconds:F0} ms after the send, before its {delay.TotalMilliseconds} ms.");
            Assert.Equal(RabbitMqDelayedDelivery.QueueName(queue, RabbitMqDelayedDelivery.QueueDelay(delay)), deadLetteredFrom);
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
        }
    }

    public sealed record Reminder(Guid Id);

    private sealed class ReminderConsumer(TaskCompletionSource<(Reminder Message, DateTime At, string? DeadLetteredFrom)> received) : IConsumer<Reminder>
    {
        public Task Consume(ConsumeContext<Reminder> context)
        {
            // RabbitMQ names the queue a dead-lettered message expired from.
            context.ReceiveContext.TransportHeaders.TryGetHeader("x-first-death-queue", out var from);
            received.TrySetResult((context.Message, DateTime.UtcNow, from switch
            {
                byte[] bytes => Encoding.UTF8.GetString(bytes),
                _ => from?.ToString(),
            }));
            return Task.CompletedTask;
        }
    }
}
