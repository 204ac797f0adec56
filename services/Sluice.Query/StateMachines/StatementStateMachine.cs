using MassTransit;
using Microsoft.Extensions.Options;
using Sluice.Contracts.Messages;

namespace Sluice.Query.StateMachines;

/// <summary>
/// One saga per statement on a remote warehouse, whose end only re-checks find: created Started by
/// <see cref="RemoteStatementStarted"/>, it schedules <see cref="CheckStatement"/> with a delay that
/// doubles per attempt up to Sluice:Query:Redshift:MaxStatusCheckDelay, each
/// <see cref="StatementStillRunning"/> answer asks for the next check, and
/// <see cref="StatementEnded"/> finalizes and removes the instance.
/// </summary>
/// <remarks>
/// <para>
/// Why only remote statements: a statement on an embedded engine (DuckDB, PostgreSQL) ends in this
/// process, which records its end in the statement store and publishes it (through the outbox in
/// the durable profile); after a crash the next process ends it truthfully from the store. A saga
/// would only repeat the store's record at the price of a broker message per step: with one per
/// submission, start and end a trivial statement took five messages (SubmitStatement, three saga
/// steps, its StatementFinished), and the broker's own rate capped statements at a fifth of it. The
/// public StatementSubmitted and StatementStarted are still published for every statement; the saga
/// consumes its own two messages instead, so an embedded statement takes none of its steps, and a
/// remote one takes two plus its checks (one event carrying what the submission and the start said,
/// then the end).
/// </para>
/// <para>
/// Schema version 6 removes the instances an earlier service stored for every statement, where no
/// remote warehouse took the statement: their ends no longer come to the saga.
/// </para>
/// <para>
/// The wait between checks is the transport's, not a process's: the check is a scheduled send to
/// the checking consumer's endpoint (<see cref="CheckStatementConsumerDefinition.QueueName"/>),
/// held by the in-memory transport's delayed delivery, by SQS with DelaySeconds (hopping past
/// fifteen minutes), or on RabbitMQ by a delay queue whose TTL dead-letters it to that endpoint
/// (see Sluice.ServiceDefaults' RabbitMqDelayedDelivery; the delayed-exchange plugin is not
/// available). On the durable transports a waiting check therefore survives a restart of the
/// query service, and no consumer holds a message or a thread while it waits. The bus must have
/// a message scheduler: AddSluiceBus gives every transport one.
/// </para>
/// </remarks>
public sealed class StatementStateMachine : MassTransitStateMachine<StatementState>
{
    /// <summary>Where checks go: the checking consumer's queue, on whichever transport the bus uses.</summary>
    private static readonly Uri CheckAddress = new($"queue:{CheckStatementConsumerDefinition.QueueName}");

    private readonly RedshiftOptions _checks;

    public StatementStateMachine(IOptions<QueryOptions> options)
    {
        _checks = options.Value.Redshift;
        InstanceState(x => x.CurrentState);

        Event(() => RemoteStatementStarted, e => e.CorrelateById(ctx => Guid.Parse(ctx.Message.StatementId)));
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
            When(RemoteStatementStarted).Then(ctx => RecordStart(ctx.Saga, ctx.Message))
                .ThenAsync(ScheduleNextCheck)
                .TransitionTo(Started));

        During(Started,
            When(StatementStillRunning)
                .Then(ctx =>
                {
                    ctx.Saga.StatusChecks = Math.Max(ctx.Saga.StatusChecks, ctx.Message.Attempt);
                    ctx.Saga.LastRemoteStatus = ctx.Message.RemoteStatus;
                })
                .ThenAsync(ScheduleNextCheck),
            When(StatementEnded).Then(ctx =>
            {
                ctx.Saga.Outcome = ctx.Message.Status;
                ctx.Saga.RowCount = ctx.Message.RowCount;
                ctx.Saga.Error = ctx.Message.Error;
                ctx.Saga.EndedAt = ctx.Message.EndedAt;
            }).Finalize(),
            // A redelivered start changes nothing (its check is already scheduled).
            Ignore(RemoteStatementStarted));

        SetCompletedWhenFinalized();
    }

    public State Started { get; private set; } = null!;

    public Event<RemoteStatementStarted> RemoteStatementStarted { get; private set; } = null!;

    public Event<StatementStillRunning> StatementStillRunning { get; private set; } = null!;

    public Event<StatementEnded> StatementEnded { get; private set; } = null!;

    /// <summary>The delay before check <paramref name="attempt"/>: the first delay, doubled per attempt, capped at the maximum.</summary>
    public static TimeSpan DelayBefore(int attempt, TimeSpan first, TimeSpan max)
    {
        var doubled = first.TotalMilliseconds * Math.Pow(2, Math.Min(attempt - 1, 30));
        return doubled >= max.TotalMilliseconds ? max : TimeSpan.FromMilliseconds(doubled);
    }

    /// <summary>Sends the next check to the checking endpoint, due after its delay (send, not publish: one endpoint checks).</summary>
    private Task ScheduleNextCheck<T>(BehaviorContext<StatementState, T> context)
        where T : class
    {
        var check = NextCheck(context.Saga);
        return context.ScheduleSend(CheckAddress, check.DueAt, check);
    }

    private CheckStatement NextCheck(StatementState saga)
    {
        var attempt = saga.StatusChecks + 1;
        var delay = DelayBefore(attempt, _checks.FirstStatusCheckDelay, _checks.MaxStatusCheckDelay);
        return new CheckStatement
        {
            StatementId = saga.CorrelationId.ToString(),
            Attempt = attempt,
            Delay = delay,
            DueAt = DateTime.UtcNow + delay,
        };
    }

    private static void RecordStart(StatementState saga, RemoteStatementStarted message)
    {
        saga.Database = message.Database;
        saga.Sql = message.Sql;
        saga.SubmittedAt = message.SubmittedAt;
        saga.StartedAt = message.StartedAt;
        saga.RemoteStatementId = message.RemoteStatementId;
    }
}
