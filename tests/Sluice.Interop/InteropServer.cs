using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Sluice.Grpc;

namespace Sluice.Interop;

/// <summary>A Kestrel host serving the interop service (and a health service) on a loopback port.</summary>
public static class InteropServer
{
    /// <summary>Builds the server; <paramref name="port"/> 0 picks a free port (read it from <see cref="GetPort"/> after start).</summary>
    public static WebApplication Build(int port, Action<WebApplicationBuilder>? configure = null, Action<WebApplication>? map = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.ListenGrpc(IPAddress.Loopback, port);
            kestrel.Limits.Http2.MaxStreamsPerConnection = 200;
        });
        builder.Services.AddSluiceGrpc();
        builder.Services.AddSingleton<SleepProbes>();
        builder.Services.AddSingleton<InteropServiceImpl>();
        configure?.Invoke(builder);
        var app = builder.Build();
        app.MapGrpcService<InteropServiceImpl>();
        map?.Invoke(app);
        return app;
    }

    public static int GetPort(WebApplication app)
    {
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new Uri(address).Port;
    }
}
