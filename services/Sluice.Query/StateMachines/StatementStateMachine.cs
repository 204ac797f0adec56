using MassTransit;
using Microsoft.Extensions.Options;
using Sluice.Contracts.Messages;

namespace Sluice.Query.StateMachines;

/// <summary>
/// One saga per statement: Submitted → Started → ended, when the instance is finalized and
/// removed. A statement on a remote warehouse (StatementStarted with a RemoteStatementId) is
/// re-checked while Started: the saga sends <see cref="CheckStatement"/> with a delay that doubles
/// per attempt up to Sluice:Query:Redshift:MaxStatusCheckDelay, and each
/// <see cref="StatementStillRunning"/> answer asks for the next check, until
/// <see cref="StatementEnded"/> arrives.
/// </summary>
/// <remarks>
/// Why the delay travels in the message and is awaited by the checking consumer rather than
/// scheduled: a saga Schedule needs a message scheduler, and neither Quartz/Hangfire nor
/// RabbitMQ's delayed-exchange plugin is available here. An awaited delay in the consumer works
/// the same on the in-memory transport and on RabbitMQ (the message stays unacknowledged while it
/// waits, so a crash redelivers it), costs no broker features, and is bounded by the maximum
/// delay, far below RabbitMQ's consumer acknowledgement timeout. The consumer's endpoint allows
/// many concurrent waits (see <see cref="CheckStatementConsumerDefinition"/>).
/// </remarks>
public sealed class StatementStateMachine : MassTransitStateMachine<StatementState>
{
    private readonly RedshiftOptions _checks;

    public StatementStateMachine(IOptions<QueryOptions> options)
    {
        _checks = options.Value.Redshift;
        InstanceState(x => x.CurrentState);

        Event(() => StatementSubmitted, e => e.CorrelateById(ctx => Guid.Parse(ctx.Message.StatementId)));
        Event(() => StatementStarted, e => e.CorrelateById(ctx => Guid.Parse(ctx.Message.StatementId)));
        // An answer or an end for an instance already removed (a duplicate, or a check that raced
        // the end) has nothing left to change: discarded rather than creating a new instance.
        Event(() => StatementStillRunning, e =>
        {
            e.CorrelateById(ctx => Guid.Parse(ctx.Message.StatementId));
            e.OnMissingInstance(m => m.Discard());
        });
        Event(() => StatementEnded, e =>
        {
            e.CorrelateById(ctx => Guid.Parse(ctx.Message.StatementId));
            e.OnMissingInstance(m => m.Discard());
        });

        Initially(
            When(StatementSubmitted).Then(ctx => RecordSubmission(ctx.Saga, ctx.Message)).TransitionTo(Submitted),
            When(StatementStarted).Then(ctx => RecordStart(ctx.Saga, ctx.Message))
                .If(ctx => ctx.Message.RemoteStatementId is not null, x => x.Publish(ctx => NextCheck(ctx.Saga)))
                .TransitionTo(Started));

        During(Submitted,
            When(StatementStarted).Then(ctx => RecordStart(ctx.Saga, ctx.Message))
                .If(ctx => ctx.Message.RemoteStatementId is not null, x => x.Publish(ctx => NextCheck(ctx.Saga)))
                .TransitionTo(Started));

        During(Started,
            When(StatementStillRunning)
                .Then(ctx =>
                {
                    ctx.Saga.StatusChecks = Math.Max(ctx.Saga.StatusChecks, ctx.Message.Attempt);
                    ctx.Saga.LastRemoteStatus = ctx.Message.RemoteStatus;
                })
                .Publish(ctx => NextCheck(ctx.Saga)));

        During(Submitted, Started,
            When(StatementEnded).Then(ctx =>
            {
                ctx.Saga.Outcome = ctx.Message.Status;
                ctx.Saga.RowCount = ctx.Message.RowCount;
                ctx.Saga.Error = ctx.Message.Error;
                ctx.Saga.EndedAt = ctx.Message.EndedAt;
            }).Finalize());

        // A Submitted that arrives after Started (or twice) changes nothing but the recorded
        // submission details; a repeated Started changes nothing.
        DuringAny(When(StatementSubmitted).Then(ctx => RecordSubmission(ctx.Saga, ctx.Message)));
        During(Started, Ignore(StatementStarted));
        During(Submitted, Ignore(StatementStillRunning));

        SetCompletedWhenFinalized();
    }

    public State Submitted { get; private set; } = null!;

    public State Started { get; private set; } = null!;

    public Event<StatementSubmitted> StatementSubmitted { get; private set; } = null!;

    public Event<StatementStarted> StatementStarted { get; private set; } = null!;

    public Event<StatementStillRunning> StatementStillRunning { get; private set; } = null!;

    public Event<StatementEnded> StatementEnded { get; private set; } = null!;

    /// <summary>The delay before check <paramref name="attempt"/>: the first delay, doubled per attempt, capped at the maximum.</summary>
    public static TimeSpan DelayBefore(int attempt, TimeSpan first, TimeSpan max)
    {
        var doubled = first.TotalMilliseconds * Math.Pow(2, Math.Min(attempt - 1, 30));
        return doubled >= max.TotalMilliseconds ? max : TimeSpan.FromMilliseconds(doubled);
    }

    private CheckStatement NextCheck(StatementState saga)
    {
        var attempt = saga.StatusChecks + 1;
        return new CheckStatement
        {
            StatementId = saga.CorrelationId.ToString(),
            Attempt = attempt,
            Delay = DelayBefore(attempt, _checks.FirstStatusCheckDelay, _checks.MaxStatusCheckDelay),
        };
    }

    private static void RecordSubmission(StatementState saga, StatementSubmitted message)
    {
        saga.Database = message.Database;
        saga.Sql = message.Sql;
        saga.SubmittedAt = message.SubmittedAt;
    }

    private static void RecordStart(StatementState saga, StatementStarted message)
    {
        saga.StartedAt = message.StartedAt;
        saga.RemoteStatementId = message.RemoteStatementId;
    }
}
