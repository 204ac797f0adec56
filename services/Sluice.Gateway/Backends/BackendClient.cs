using Grpc.Core;

namespace Sluice.Gateway.Backends;

/// <summary>
/// A client of one backend service that exposes its call invoker: the gateway builds typed
/// clients (health, query) and untyped calls (grpc integrations) on one registered channel.
/// </summary>
internal sealed class BackendClient : ClientBase<BackendClient>
{
    public BackendClient(CallInvoker invoker)
        : base(invoker)
    {
    }

    private BackendClient(ClientBaseConfiguration configuration)
        : base(configuration)
    {
    }

    public CallInvoker Invoker => CallInvoker;

    protected override BackendClient NewInstance(ClientBaseConfiguration configuration) => new(configuration);
}
