using System.Collections.Concurrent;
using Grpc.Health.V1;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Sluice.Host.Tests;

/// <summary>
/// The logging defaults: ASP.NET Core's own per-request lines are off (Microsoft.AspNetCore at
/// Warning), as its templates ship them, but only as the lowest-priority configuration, so that
/// an operator can turn them back on.
/// </summary>
public sealed class LoggingDefaultsTests
{
    private const int Calls = 5;
    private const string Route = "/grpc.health.v1.Health/Check";

    [Fact]
    public async Task GrpcCalls_DefaultConfiguration_NoInformationFromAspNetCore()
    {
        var logs = new CapturingLoggerProvider();
        await using var host = await HostUnderTest.StartAsync(beforeStart: logs.AddTo);

        await CallAndWaitUntilFinishedAsync(host);

        var aspNetCore = logs.Entries.Where(e => e.Category.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal) && e.Level <= LogLevel.Information).ToList();
        Assert.True(aspNetCore.Count == 0, $"Microsoft.AspNetCore logged {aspNetCore.Count} line(s) below Warning, e.g. {aspNetCore.FirstOrDefault()}");
        // The provider does receive Information lines (the host's own start-up line among them):
        // only the Microsoft.AspNetCore ones are filtered out.
        Assert.Contains(logs.Entries, e => e.Category == "Microsoft.Hosting.Lifetime" && e.Level == LogLevel.Information);
    }

    [Fact]
    public async Task GrpcCalls_AspNetCoreLevelConfiguredInformation_RequestLinesLoggedAgain()
    {
        var logs = new CapturingLoggerProvider();
        await using var host = await HostUnderTest.StartAsync(["--Logging:LogLevel:Microsoft.AspNetCore=Information"], logs.AddTo);

        await CallAndWaitUntilFinishedAsync(host);

        var finished = logs.Entries.Where(e => e.Category == "Microsoft.AspNetCore.Hosting.Diagnostics" && e.Level == LogLevel.Information
            && e.Message.StartsWith("Request finished", StringComparison.Ordinal) && e.Message.Contains(Route, StringComparison.Ordinal)).ToList();
        Assert.True(finished.Count >= Calls, $"{finished.Count} 'Request finished' lines for {Route}, expected at least {Calls}.");
    }

    [Fact]
    public async Task ServiceClientCalls_DefaultConfiguration_NoPerCallLinesFromTheClients()
    {
        var logs = new CapturingLoggerProvider();
        await using var host = await HostUnderTest.StartAsync(beforeStart: logs.AddTo);
        var gateway = new Health.HealthClient(host.ChannelTo("Gateway"));

        // Each check of the whole gateway calls each of its four backends through the client factory.
        for (var i = 0; i < Calls; i++)
        {
            var answer = await gateway.CheckAsync(new HealthCheckRequest(), deadline: HostUnderTest.Deadline);
            Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, answer.Status);
        }

        var clientLines = logs.Entries.Where(e => (e.Category.StartsWith("System.Net.Http.HttpClient", StringComparison.Ordinal)
            || e.Category.StartsWith("Grpc.Net.Client", StringComparison.Ordinal)) && e.Level <= LogLevel.Information).ToList();
        Assert.True(clientLines.Count == 0, $"The service clients logged {clientLines.Count} line(s) below Warning, e.g. {clientLines.FirstOrDefault()}");
    }

    /// <summary>Makes <see cref="Calls"/> gRPC calls, then waits until the server has finished with each (its per-request lines come before that).</summary>
    private static async Task CallAndWaitUntilFinishedAsync(HostUnderTest host)
    {
        var health = new Health.HealthClient(host.ChannelTo("Query"));
        for (var i = 0; i < Calls; i++)
        {
            await health.CheckAsync(new HealthCheckRequest(), deadline: HostUnderTest.Deadline);
        }
        await host.WaitForFinishedGrpcRequestsAsync(Route, Calls);
    }

    /// <summary>Records every log line that passes the host's configured filters.</summary>
    private sealed class CapturingLoggerProvider : ILoggerProvider
    {
        private readonly ConcurrentQueue<Entry> _entries = new();

        public IReadOnlyList<Entry> Entries => [.. _entries];

        /// <summary>Adds this provider to <paramref name="app"/>'s logger factory (its filter rules apply to it as to every provider).</summary>
        public void AddTo(WebApplication app) => app.Services.GetRequiredService<ILoggerFactory>().AddProvider(this);

        public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _entries);

        public void Dispose()
        {
        }

        public sealed record Entry(string Category, LogLevel Level, string Message);

        private sealed class Logger(string category, ConcurrentQueue<Entry> entries) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                entries.Enqueue(new Entry(category, logLevel, formatter(state, exception)));
        }
    }
}
