using System.Net;
using Sluice.Benchmarks.Grpc;
using Sluice.Interop;
using Sluice.ServiceDefaults;

// Row (a) of the gRPC benchmark: the interop service in the pipeline every Sluice service runs
// (see StandaloneServiceHost): WebApplication.CreateBuilder, AddSluiceServiceDefaults (status
// interceptor, message limits, grpc.health.v1 on health checks, reflection, the Kestrel
// stream-reuse repair as first middleware, OpenTelemetry traces and metrics, quiet logging
// defaults), MapSluiceGrpcDefaults, and a gRPC listener from ListenGrpc. Only the admin listener
// and the bus are left out: the interop service uses neither.
//
// Usage: dotnet Sluice.Benchmarks.GrpcServer.dll --port N   (127.0.0.1, HTTP/2 cleartext)
var builder = WebApplication.CreateBuilder(args);
var port = BenchmarkKestrel.GetPort(builder.Configuration);
builder.WebHost.ConfigureKestrel(kestrel =>
{
    kestrel.ApplyGrpcBenchmarkLimits();
    kestrel.ListenGrpc(IPAddress.Loopback, port);
});
builder.AddSluiceServiceDefaults();
builder.Services.AddSingleton<InteropServiceImpl>();

var app = builder.Build();
app.MapSluiceGrpcDefaults();
app.MapGrpcService<InteropServiceImpl>();
app.Lifetime.ApplicationStarted.Register(() => Console.WriteLine($"listening on {port}"));
await app.RunAsync();
