using MassTransit.Agents;
using MassTransit.Middleware;

namespace Sluice.Transports.AmazonSqs.Transport;

/// <summary>The pipe context the transport's filters and agents run in: the bus's SQS/SNS connection.</summary>
internal interface ClientContext : PipeContext
{
    SqsConnection Connection { get; }
}

internal sealed class SqsClientContext(SqsConnection connection, CancellationToken cancellationToken)
    : BasePipeContext(cancellationToken), ClientContext
{
    public SqsConnection Connection { get; } = connection;
}

/// <summary>One user's view of the shared client context, cancelled with that user.</summary>
internal sealed class ScopeClientContext(ClientContext context, CancellationToken cancellationToken)
    : ScopePipeContext(context), ClientContext
{
    public override CancellationToken CancellationToken { get; } = cancellationToken;

    public SqsConnection Connection => context.Connection;
}

/// <summary>
/// Supervises the client context of one receive endpoint and the send transports it creates:
/// MassTransit stops the senders before the consumer, and the consumer before the context.
/// </summary>
internal sealed class ClientContextSupervisor(Func<SqsConnection> connection)
    : TransportPipeContextSupervisor<ClientContext>(new ClientContextFactory(connection));

internal sealed class ClientContextFactory(Func<SqsConnection> connection) : IPipeContextFactory<ClientContext>
{
    public IPipeContextAgent<ClientContext> CreateContext(ISupervisor supervisor)
    {
        var context = Task.Run(() => (ClientContext)new SqsClientContext(connection(), supervisor.Stopped), supervisor.Stopped);
        return supervisor.AddContext(context);
    }

    public IActivePipeContextAgent<ClientContext> CreateActiveContext(ISupervisor supervisor, PipeContextHandle<ClientContext> context,
        CancellationToken cancellationToken) =>
        supervisor.AddActiveContext(context, CreateScope(context.Context, cancellationToken));

    private static async Task<ClientContext> CreateScope(Task<ClientContext> context, CancellationToken cancellationToken) =>
        new ScopeClientContext(await context.WaitAsync(cancellationToken).ConfigureAwait(false), cancellationToken);
}
