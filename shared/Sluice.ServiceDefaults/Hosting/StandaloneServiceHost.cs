using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Sluice.ServiceDefaults;

/// <summary>Runs one Sluice service as its own process on its gRPC port (the deployable of each service).</summary>
public static class StandaloneServiceHost
{
    /// <summary>
    /// Builds a web application for one service: <paramref name="add"/> registers it,
    /// <paramref name="map"/> maps its endpoints. Its gRPC listener comes from section
    /// "Sluice:{serviceSection}" (GrpcPort defaults to <paramref name="defaultGrpcPort"/>), its
    /// admin listener from "Sluice:Admin" (Port defaults to <paramref name="defaultAdminPort"/>).
    /// </summary>
    public static WebApplication Build(string[] args, string serviceSection, int defaultGrpcPort, int defaultAdminPort, Action<WebApplicationBuilder> add, Action<WebApplication> map)
    {
        var builder = WebApplication.CreateBuilder(args);
        var listener = new SluiceListenerOptions { GrpcPort = defaultGrpcPort };
        builder.Configuration.GetSection("Sluice:" + serviceSection).Bind(listener);
        var admin = builder.Configuration.GetSection(SluiceAdminOptions.SectionName).Get<SluiceAdminOptions>() ?? new SluiceAdminOptions();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.ListenGrpc(listener.ParseBindAddress(), listener.GrpcPort, listener.LoadCertificate());
            kestrel.ListenAdmin(admin, defaultAdminPort);
        });
        add(builder);
        builder.AddSluiceBus();
        var app = builder.Build();
        app.MapSluiceGrpcDefaults();
        app.MapSluiceAdmin();
        map(app);
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
            ServiceDefaultsLog.Listening(app.Logger, serviceSection, string.Join(", ", addresses));
        });
        return app;
    }
}
