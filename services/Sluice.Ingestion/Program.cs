using Sluice.Ingestion;
using Sluice.ServiceDefaults;

// The Ingestion service as its own process. The all-in-one host (services/Sluice.Host) runs it
// together with the other services instead.
var app = StandaloneServiceHost.Build(args, "Ingestion", defaultGrpcPort: 5101, defaultAdminPort: 5191,
    builder => builder.AddIngestionService(),
    endpoints => endpoints.MapIngestionService());
app.Run();
