namespace Sluice.Grpc.Tests.Interop;

/// <summary>The Python grpcio interop server, started once for a test class.</summary>
public sealed class PythonServerFixture : IAsyncLifetime
{
    private PeerServer? _server;

    public int Port => _server!.Port;

    public async Task InitializeAsync() => _server = await Peers.StartPythonServerAsync();

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}
