using Sluice.Query;
using Sluice.ServiceDefaults;

// The Query service as its own process. The all-in-one host (services/Sluice.Host) runs it
// together with the other services instead.
var app = StandaloneServiceHost.Build(args, "Query", defaultGrpcPort: 5102, defaultAdminPort: 5192,
    builder => builder.AddQueryService(),
    endpoints => endpoints.MapQueryService());
app.Run();
