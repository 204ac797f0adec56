using MassTransit;
using Sluice.Contracts.Messages;

namespace Sluice.Query.StateMachines;

/// <summary>
/// One saga per statement: Submitted → Started → Finished | Failed | Aborted. The engines report
/// their own transitions as events; an end may arrive without the earlier events (a statement
/// refused when submitted by message fails at once), so every end is accepted from any state
/// until one has been recorded.
/// </summary>
public sealed class StatementStateMachine : MassTransitStateMachine<StatementState>
{
    public StatementStateMachine()
    {
        InstanceState(x => x.CurrentState);

        Event(() => StatementSubmitted, e => e.CorrelateById(ctx => Guid.Parse(ctx.Message.StatementId)));
        Event(() => StatementStarted, e => e.CorrelateById(ctx => Guid.Parse(ctx.Message.StatementId)));
        Event(() => StatementFinished, e => e.CorrelateById(ctx => Guid.Parse(ctx.Message.StatementId)));
        Event(() => StatementFailed, e => e.CorrelateById(ctx => Guid.Parse(ctx.Message.StatementId)));
        Event(() => StatementAborted, e => e.CorrelateById(ctx => Guid.Parse(ctx.Message.StatementId)));

        Initially(
            When(StatementSubmitted).Then(ctx => RecordSubmission(ctx.Saga, ctx.Message)).TransitionTo(Submitted),
            When(StatementStarted).Then(ctx => ctx.Saga.StartedAt = ctx.Message.StartedAt).TransitionTo(Started));

        During(Submitted,
            When(StatementStarted).Then(ctx => ctx.Saga.StartedAt = ctx.Message.StartedAt).TransitionTo(Started));

        During(Initial, Submitted, Started,
            When(StatementFinished).Then(ctx =>
            {
                ctx.Saga.RowCount = ctx.Message.RowCount;
                ctx.Saga.EndedAt = ctx.Message.FinishedAt;
            }).TransitionTo(Finished),
            When(StatementFailed).Then(ctx =>
            {
                ctx.Saga.Error = ctx.Message.Error;
                ctx.Saga.EndedAt = ctx.Message.FailedAt;
            }).TransitionTo(Failed),
            When(StatementAborted).Then(ctx =>
            {
                ctx.Saga.Error = ctx.Message.Reason;
                ctx.Saga.EndedAt = ctx.Message.AbortedAt;
            }).TransitionTo(Aborted));

        // Late or repeated events after the statement ended, or a Submitted that arrives after
        // Started, change nothing but the recorded submission details.
        DuringAny(When(StatementSubmitted).Then(ctx => RecordSubmission(ctx.Saga, ctx.Message)));
        During(Finished, Failed, Aborted,
            Ignore(StatementStarted), Ignore(StatementFinished), Ignore(StatementFailed), Ignore(StatementAborted));
    }

    public State Submitted { get; private set; } = null!;

    public State Started { get; private set; } = null!;

    public State Finished { get; private set; } = null!;

    public State Failed { get; private set; } = null!;

    public State Aborted { get; private set; } = null!;

    public Event<StatementSubmitted> StatementSubmitted { get; private set; } = null!;

    public Event<StatementStarted> StatementStarted { get; private set; } = null!;

    public Event<StatementFinished> StatementFinished { get; private set; } = null!;

    public Event<StatementFailed> StatementFailed { get; private set; } = null!;

    public Event<StatementAborted> StatementAborted { get; private set; } = null!;

    private static void RecordSubmission(StatementState saga, StatementSubmitted message)
    {
        saga.Database = message.Database;
        saga.Sql = message.Sql;
        saga.SubmittedAt = message.SubmittedAt;
    }
}
