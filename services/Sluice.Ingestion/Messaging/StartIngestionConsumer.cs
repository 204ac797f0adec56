using MassTransit;
using Sluice.Contracts.Messages;
using Sluice.Ingestion.Jobs;
using Sluice.Ingestion.V1;

namespace Sluice.Ingestion.Messaging;

/// <summary>
/// The StartIngestion command: a job under the sender's JobId (a repeat starts nothing new). A
/// command for an unknown source or with a malformed id is not retried; MassTransit moves it to
/// the error queue with the reason.
/// </summary>
internal sealed class StartIngestionConsumer(JobManager jobs) : IConsumer<StartIngestion>
{
    public Task Consume(ConsumeContext<StartIngestion> context)
    {
        var command = context.Message;
        if (!Guid.TryParseExact(command.JobId, "D", out _))
        {
            throw new ArgumentException($"StartIngestion.JobId '{command.JobId}' is not a UUID.");
        }
        jobs.Start(command.Source, command.FullRefresh, JobTrigger.Broker, command.JobId.ToLowerInvariant());
        return Task.CompletedTask;
    }
}
