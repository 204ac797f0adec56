using Microsoft.AspNetCore.Builder;
using Sluice.Interop;
using Sluice.ServiceDefaults;

namespace Sluice.Grpc.Tests.Interop;

/// <summary>A Sluice server with the interop service and grpc.health.v1, on a free loopback port.</summary>
public sealed class SluiceServerFixture : IAsyncLifetime
{
    private WebApplication? _app;

    public int Port { get; private set; }

    public async Task InitializeAsync()
    {
        _app = InteropServer.Build(0,
            configure: builder => builder.AddSluiceServiceDefaults(),
            map: app => app.MapSluiceHealth(Sluice.Interop.V1.InteropService.Descriptor.FullName));
        await _app.StartAsync();
        Port = InteropServer.GetPort(_app);
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
