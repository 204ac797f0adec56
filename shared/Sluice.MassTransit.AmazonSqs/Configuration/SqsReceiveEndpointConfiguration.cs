using MassTransit.Middleware;
using Sluice.Transports.AmazonSqs.Transport;

namespace Sluice.Transports.AmazonSqs.Configuration;

/// <summary>One receive endpoint: its queue settings, and how its transport is put together at build.</summary>
internal sealed class SqsReceiveEndpointConfiguration : ReceiveEndpointConfiguration, ISqsReceiveEndpointConfigurator
{
    private readonly SqsHostConfiguration _hostConfiguration;
    private readonly SqsEndpointConfiguration _endpointConfiguration;
    private readonly Lazy<Uri> _inputAddress;

    public SqsReceiveEndpointConfiguration(SqsHostConfiguration hostConfiguration, SqsReceiveSettings settings, SqsEndpointConfiguration endpointConfiguration)
        : base(hostConfiguration, endpointConfiguration)
    {
        _hostConfiguration = hostConfiguration;
        _endpointConfiguration = endpointConfiguration;
        Settings = settings;
        _inputAddress = new Lazy<Uri>(() => new SqsEndpointAddress(hostConfiguration.HostAddress, settings.QueueName, false).ToUri());
    }

    public SqsReceiveSettings Settings { get; }

    public SqsTopologyConfiguration SqsTopology => _endpointConfiguration.Topology;

    public SqsHostConfiguration SqsHost => _hostConfiguration;

    public override Uri HostAddress => _hostConfiguration.HostAddress;

    public override Uri InputAddress => _inputAddress.Value;

    public int WaitTimeSeconds
    {
        set => Settings.WaitTimeSeconds = value;
    }

    public int VisibilityTimeout
    {
        set => Settings.VisibilityTimeout = value;
    }

    public TimeSpan MaxVisibilityTimeout
    {
        set => Settings.MaxVisibilityTimeout = value;
    }

    public void Subscribe(string topicName) => SqsTopology.ConsumeTopology.Subscribe(topicName);

    public override ReceiveEndpointContext CreateReceiveEndpointContext() => CreateSqsContext();

    private SqsReceiveEndpointContext CreateSqsContext()
    {
        var builder = new SqsReceiveEndpointBuilder(this);
        ApplySpecifications(builder);
        return builder.CreateReceiveEndpointContext();
    }

    public void Build(IHost host)
    {
        // Settings MassTransit keeps on the endpoint (PrefetchCount, ConcurrentMessageLimit) apply to the SQS receiver.
        Settings.PrefetchCount = Math.Max(1, PrefetchCount);
        Settings.ConcurrentMessageLimit = ConcurrentMessageLimit ?? Settings.PrefetchCount;

        var context = CreateSqsContext();
        var pipe = new PipeConfigurator<ClientContext>();
        pipe.UseFilter(new ConfigureReceiveTopologyFilter(Settings, SqsTopology.ConsumeTopology, context));
        pipe.UseFilter(new ReceiveEndpointDependencyFilter<ClientContext>(context));
        pipe.UseFilter(new SqsConsumerFilter(context));

        var transport = new ReceiveTransport<ClientContext>(_hostConfiguration, context, () => context.ClientContextSupervisor, pipe.Build());
        var receiveEndpoint = new ReceiveEndpoint(transport, context);
        ((SqsHost)host).AddReceiveEndpoint(Settings.QueueName, receiveEndpoint);
        ReceiveEndpoint = receiveEndpoint;
    }

    public override IEnumerable<ValidationResult> Validate()
    {
        var name = Settings.QueueName;
        if (!SqsEntityNames.IsValidQueueName(name))
        {
            yield return this.Failure(name, "must be a valid SQS queue name: 1-80 letters, digits, '-' or '_' (and '.fifo' at the end for FIFO)");
        }
        if (Settings.WaitTimeSeconds is < 0 or > 20)
        {
            yield return this.Failure(name, $"WaitTimeSeconds must be 0-20, not {Settings.WaitTimeSeconds}");
        }
        if (Settings.VisibilityTimeout is < 1 or > 43200)
        {
            yield return this.Failure(name, $"VisibilityTimeout must be 1-43200 seconds, not {Settings.VisibilityTimeout}");
        }
        if (Settings.MaxVisibilityTimeout < TimeSpan.FromSeconds(Settings.VisibilityTimeout)
            || Settings.MaxVisibilityTimeout > SqsReceiveSettings.MaxVisibilityTimeoutLimit)
        {
            yield return this.Failure(name,
                $"MaxVisibilityTimeout must be from the visibility timeout ({Settings.VisibilityTimeout} s) to 12 hours, not {Settings.MaxVisibilityTimeout}");
        }
        if (PrefetchCount < 0)
        {
            yield return this.Failure(name, "PrefetchCount must be >= 1");
        }
        foreach (var result in base.Validate())
        {
            yield return result.WithParentKey(name);
        }
    }

    protected override bool IsAlreadyConfigured() => _inputAddress.IsValueCreated || base.IsAlreadyConfigured();
}

/// <summary>
/// Subscribes the endpoint's queue to the topic of every message type its consumers take, as
/// ConfigureEndpoints does on the other transports.
/// </summary>
internal sealed class SqsReceiveEndpointBuilder(SqsReceiveEndpointConfiguration configuration) : ReceiveEndpointBuilder(configuration)
{
    public override ConnectHandle ConnectConsumePipe<T>(IPipe<ConsumeContext<T>> pipe, ConnectPipeOptions options)
    {
        if (configuration.ConfigureConsumeTopology && options.HasFlag(ConnectPipeOptions.ConfigureConsumeTopology))
        {
            configuration.SqsTopology.ConsumeTopology.Subscribe<T>();
        }
        return base.ConnectConsumePipe(pipe, options);
    }

    public SqsReceiveEndpointContext CreateReceiveEndpointContext()
    {
        var context = new SqsReceiveEndpointContext(configuration.SqsHost, configuration, configuration.Settings);
        var queue = configuration.Settings.QueueName;
        context.GetOrAddPayload<IErrorTransport>(() => new SqsMoveTransport(SqsEntityNames.ErrorQueue(queue)));
        context.GetOrAddPayload<IDeadLetterTransport>(() => new SqsMoveTransport(SqsEntityNames.DeadLetterQueue(queue)));
        // Message schedulers (UseDelayedMessageScheduler, saga schedules) read the bus topology
        // from the consume context, as MassTransit's own transports provide it.
        context.GetOrAddPayload<IBusTopology>(() => configuration.SqsHost.Topology);
        return context;
    }
}
