using Sluice.Gateway;
using Sluice.ServiceDefaults;

// The Gateway service as its own process. The all-in-one host (services/Sluice.Host) runs it
// together with the other services instead.
var app = StandaloneServiceHost.Build(args, "Gateway", defaultGrpcPort: 5100, defaultAdminPort: 5190,
    builder => builder.AddGatewayService(),
    endpoints => endpoints.MapGatewayService());
app.Run();
