using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Sluice.Contracts.Messages;

namespace Sluice.Validation.Tests;

/// <summary>Publishes DatasetLanded on a hosted service's bus and waits (bounded) for the DatasetValidated of its job.</summary>
public static class DatasetValidatedProbe
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    public static async Task<DatasetValidated> PublishAndAwaitAnswerAsync(ValidationHost host, DatasetLanded landed)
    {
        var bus = host.Services.GetRequiredService<IBus>();
        var answer = new TaskCompletionSource<DatasetValidated>(TaskCreationOptions.RunContinuationsAsynchronously);
        var handle = bus.ConnectReceiveEndpoint("validation-test-" + Guid.NewGuid().ToString("N"), endpoint =>
            endpoint.Handler<DatasetValidated>(context =>
            {
                if (context.Message.JobId == landed.JobId)
                {
                    answer.TrySetResult(context.Message);
                }
                return Task.CompletedTask;
            }));
        try
        {
            await handle.Ready.WaitAsync(Timeout);
            await bus.Publish(landed);
            return await answer.Task.WaitAsync(Timeout);
        }
        finally
        {
            await handle.StopAsync();
        }
    }
}
