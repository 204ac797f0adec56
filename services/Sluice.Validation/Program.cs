using Sluice.Validation;
using Sluice.ServiceDefaults;

// The Validation service as its own process. The all-in-one host (services/Sluice.Host) runs it
// together with the other services instead.
var app = StandaloneServiceHost.Build(args, "Validation", defaultGrpcPort: 5103, defaultAdminPort: 5193,
    builder => builder.AddValidationService(),
    endpoints => endpoints.MapValidationService());
app.Run();
