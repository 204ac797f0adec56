using Sluice.Benchmarks.BareKestrel;
using Sluice.Benchmarks.Grpc;

var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
var port = BenchmarkKestrel.GetPort(builder.Configuration);
builder.WebHost.ConfigureKestrel(kestrel => kestrel.ConfigureForGrpcBenchmark(port));

var app = builder.Build();
app.Run(BareGrpcEndpoint.HandleAsync);
app.Lifetime.ApplicationStarted.Register(() => Console.WriteLine($"listening on {port}"));
await app.RunAsync();
