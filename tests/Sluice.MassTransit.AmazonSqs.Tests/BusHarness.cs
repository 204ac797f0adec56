using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace Sluice.Transports.AmazonSqs.Tests;

/// <summary>A MassTransit bus on the SQS transport, built the way a Sluice host builds it (AddMassTransit + ConfigureEndpoints).</summary>
internal sealed class BusHarness : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private readonly ServiceProvider _provider;

    private BusHarness(ServiceProvider provider)
    {
        _provider = provider;
        Bus = provider.GetRequiredService<IBusControl>();
    }

    public IBusControl Bus { get; }

    public IServiceProvider Services => _provider;

    public static async Task<BusHarness> StartAsync(SqsHostSettings settings, Action<IBusRegistrationConfigurator> register,
        Action<IServiceCollection>? services = null, Action<IBusRegistrationContext, ISqsBusFactoryConfigurator>? configure = null)
    {
        var collection = new ServiceCollection();
        services?.Invoke(collection);
        collection.AddMassTransit(x =>
        {
            register(x);
            x.UsingSluiceAmazonSqs((context, cfg) =>
            {
                cfg.Host(settings);
                configure?.Invoke(context, cfg);
                cfg.ConfigureEndpoints(context);
            });
        });
        var provider = collection.BuildServiceProvider();
        var harness = new BusHarness(provider);
        using var cancellation = new CancellationTokenSource(Timeout);
        await harness.Bus.StartAsync(cancellation.Token);
        return harness;
    }

    public async ValueTask DisposeAsync()
    {
        using var cancellation = new CancellationTokenSource(Timeout);
        await Bus.StopAsync(cancellation.Token);
        await _provider.DisposeAsync();
    }
}

/// <summary>What consumers saw, for tests to await.</summary>
public sealed class Observed<T>
{
    private readonly List<T> _items = [];
    private readonly List<(int Count, TaskCompletionSource Done)> _waiters = [];

    public void Add(T item)
    {
        lock (_items)
        {
            _items.Add(item);
            foreach (var waiter in _waiters.Where(w => _items.Count >= w.Count))
            {
                waiter.Done.TrySetResult();
            }
        }
    }

    public IReadOnlyList<T> Items
    {
        get
        {
            lock (_items)
            {
                return _items.ToList();
            }
        }
    }

    public async Task<IReadOnlyList<T>> WaitForAsync(int count)
    {
        TaskCompletionSource done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_items)
        {
            if (_items.Count >= count)
            {
                return _items.ToList();
            }
            _waiters.Add((count, done));
        }
        try
        {
            await done.Task.WaitAsync(BusHarness.Timeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"Expected {count} {typeof(T).Name} within {BusHarness.Timeout.TotalSeconds} s, saw {Items.Count}.");
        }
        return Items;
    }
}
