using Sluice.Benchmarks.Grpc;
using Sluice.Grpc;
using Sluice.Interop;

// Usage: dotnet Sluice.Benchmarks.GrpcServer.dll --port N   (127.0.0.1, HTTP/2 cleartext)
var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
var port = BenchmarkKestrel.GetPort(builder.Configuration);
builder.WebHost.ConfigureKestrel(kestrel => kestrel.ConfigureForGrpcBenchmark(port));
builder.Services.AddSluiceGrpc();
builder.Services.AddSingleton<SleepProbes>();
builder.Services.AddSingleton<InteropServiceImpl>();

var app = builder.Build();
app.MapGrpcService<InteropServiceImpl>();
app.Lifetime.ApplicationStarted.Register(() => Console.WriteLine($"listening on {port}"));
await app.RunAsync();
