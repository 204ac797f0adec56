using Sluice.Host;

// Runs gateway, ingestion, query and validation in one process (embedded profile).
// Ports: Sluice:{Service}:GrpcPort, e.g. --Sluice:Query:GrpcPort=6102.
var app = AllInOneHost.Build(args);
app.Run();
