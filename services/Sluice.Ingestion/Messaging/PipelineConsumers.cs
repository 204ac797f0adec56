using MassTransit;
using Sluice.Contracts.Messages;
using Sluice.Ingestion.Jobs;
using Sluice.Ingestion.Storage;
using Sluice.Ingestion.V1;

namespace Sluice.Ingestion.Messaging;

/// <summary>
/// Follows a landed job through the pipeline: DatasetValidated (passed: VALIDATED; otherwise
/// REJECTED with the reason), then DatasetLoaded (LOADED) or DatasetLoadFailed (FAILED with the
/// reason). Events of jobs this service does not know are ignored.
/// </summary>
internal sealed class PipelineConsumers(IngestionStore store, JobNotifier notifier, TimeProvider time)
    : IConsumer<DatasetValidated>, IConsumer<DatasetLoaded>, IConsumer<DatasetLoadFailed>
{
    public Task Consume(ConsumeContext<DatasetValidated> context)
    {
        var message = context.Message;
        Update(message.JobId, job => job.Phase == JobPhase.Landed, job => message.Passed
            ? job with { Phase = JobPhase.Validated }
            : job with { Phase = JobPhase.Rejected, Error = RejectionReason(message) });
        return Task.CompletedTask;
    }

    public Task Consume(ConsumeContext<DatasetLoaded> context)
    {
        var message = context.Message;
        Update(message.JobId, job => job.Phase is JobPhase.Landed or JobPhase.Validated, job => job with { Phase = JobPhase.Loaded, Table = message.Table });
        return Task.CompletedTask;
    }

    public Task Consume(ConsumeContext<DatasetLoadFailed> context)
    {
        var message = context.Message;
        Update(message.JobId, job => job.Phase is JobPhase.Landed or JobPhase.Validated,
            job => job with { Phase = JobPhase.Failed, Error = "The load into the warehouse failed: " + message.Error });
        return Task.CompletedTask;
    }

    private void Update(string jobId, Func<JobRecord, bool> applies, Func<JobRecord, JobRecord> change)
    {
        store.UpdateJob(jobId, job => applies(job) ? change(job) with { UpdatedAt = time.GetUtcNow() } : null);
        notifier.Notify(jobId);
    }

    private static string RejectionReason(DatasetValidated validated)
    {
        if (validated.Error is { } error)
        {
            return $"Validation {validated.Status}: {error}";
        }
        var failed = validated.Rules.Where(r => r.Outcome != DatasetRuleOutcome.Passed)
            .Select(r => $"{r.Rule}: {r.FailureMessage ?? r.Outcome.ToString()}");
        return $"The ruleset failed (score {validated.Score:0.###}): " + string.Join("; ", failed);
    }
}
