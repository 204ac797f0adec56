using MassTransit;
using MassTransit.Scheduling;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Sluice.Transports.AmazonSqs;

namespace Sluice.ServiceDefaults;

/// <summary>Which broker the bus uses, bound from "Sluice:Broker".</summary>
public sealed class SluiceBrokerOptions
{
    public const string SectionName = "Sluice:Broker";

    /// <summary>"InMemory" (embedded profile, one process), "RabbitMq" or "AmazonSqs" (durable profile). Defaults to InMemory.</summary>
    public string Transport { get; set; } = "InMemory";

    /// <summary>
    /// RabbitMQ address, e.g. amqp://user:pass@127.0.0.1:5672/vhost (Transport = RabbitMq). Delayed
    /// and scheduled sends wait in per-delay queues on this broker (see <see cref="RabbitMqDelayedDelivery"/>),
    /// declared over a second connection to it.
    /// </summary>
    public string? RabbitMqUri { get; set; }

    /// <summary>Amazon SQS and SNS (Transport = AmazonSqs), bound from "Sluice:Broker:AmazonSqs" and checked when the bus is added.</summary>
    public SluiceAmazonSqsOptions AmazonSqs { get; set; } = new();

    /// <summary>
    /// How long the host waits at start for the bus to connect and bind its endpoints before it
    /// gives up and fails to start. Defaults to one minute.
    /// </summary>
    public TimeSpan StartTimeout { get; set; } = TimeSpan.FromMinutes(1);
}

/// <summary>
/// Where the SQS transport connects. Credentials always come from the AWS credential chain
/// (environment, profile, container or instance role), never from this section.
/// </summary>
public sealed class SluiceAmazonSqsOptions
{
    /// <summary>AWS region, e.g. eu-west-1. Defaults to us-east-1.</summary>
    public string Region { get; set; } = "us-east-1";

    /// <summary>Endpoint override for SQS and SNS (fauxqs locally, or a VPC endpoint). Defaults to the region's endpoints.</summary>
    public Uri? ServiceUrl { get; set; }

    /// <summary>Prefix of every queue and topic, so environments can share an account. Defaults to none.</summary>
    public string? Scope { get; set; }
}

/// <summary>
/// One MassTransit bus per host, shared by every service the host runs. MassTransit allows one
/// AddMassTransit per container, and the all-in-one host puts four services in one container, so
/// services contribute their consumers and sagas with <see cref="AddSluiceBusParticipant"/> and the
/// host builds the bus once with <see cref="AddSluiceBus"/> after adding every service.
/// </summary>
public static class SluiceBus
{
    private const string MassTransitCheckName = "masstransit-bus";

    private sealed class Participants : List<Action<IBusRegistrationConfigurator>>;

    /// <summary>Contributes consumers, sagas or request clients to the host's bus.</summary>
    public static IHostApplicationBuilder AddSluiceBusParticipant(this IHostApplicationBuilder builder, Action<IBusRegistrationConfigurator> register)
    {
        GetParticipants(builder).Add(register);
        return builder;
    }

    /// <summary>
    /// Says that endpoint <paramref name="endpointName"/> no longer consumes <paramref name="messageType"/>,
    /// which an earlier version of the service did. A broker keeps a subscription once made, so the
    /// endpoint would otherwise go on receiving the type and set each message aside as skipped. On
    /// RabbitMQ the binding is removed when the host starts (<see cref="RabbitMqRetiredSubscriptions"/>),
    /// on Amazon SQS the queue's SNS subscription (<see cref="AmazonSqsRetiredSubscriptions"/>); the
    /// in-memory bus keeps nothing across a restart.
    /// </summary>
    public static IHostApplicationBuilder RetireSluiceBusSubscription(this IHostApplicationBuilder builder, string endpointName, Type messageType)
    {
        if (!builder.Properties.TryGetValue(typeof(RetiredSubscription), out var value))
        {
            value = new List<RetiredSubscription>();
            builder.Properties[typeof(RetiredSubscription)] = value;
        }
        ((List<RetiredSubscription>)value).Add(new RetiredSubscription(endpointName, messageType));
        return builder;
    }

    /// <summary>
    /// Registers the bus with every contribution made so far, on the transport configured in
    /// "Sluice:Broker". Does nothing when no service contributed. Call once, after adding services.
    /// </summary>
    public static IHostApplicationBuilder AddSluiceBus(this IHostApplicationBuilder builder)
    {
        var participants = GetParticipants(builder);
        if (participants.Count == 0 || builder.Properties.ContainsKey(typeof(SluiceBrokerOptions)))
        {
            return builder;
        }
        var options = new SluiceBrokerOptions();
        builder.Configuration.GetSection(SluiceBrokerOptions.SectionName).Bind(options);
        builder.Properties[typeof(SluiceBrokerOptions)] = options;
        if (options.StartTimeout <= TimeSpan.Zero)
        {
            throw new InvalidOperationException($"Sluice:Broker:StartTimeout must be positive, not '{options.StartTimeout}'.");
        }

        // The host starts serving only once the bus is up: on RabbitMQ a message published before
        // its queue is bound is dropped, so a statement accepted over gRPC a moment after start
        // could lose its RemoteStatementStarted and never be re-checked. A broker that cannot be reached
        // within the timeout fails the start instead of leaving a service that loses messages.
        builder.Services.AddOptions<MassTransitHostOptions>().Configure(host =>
        {
            host.WaitUntilStarted = true;
            host.StartTimeout = options.StartTimeout;
            host.StopTimeout = TimeSpan.FromSeconds(30);
            // Consumers get less than the bus, so that a consumer running past its time is
            // cancelled and the bus still closes its broker connection: the unacknowledged
            // delivery then goes back to the queue for the next instance instead of being held.
            host.ConsumerStopTimeout = TimeSpan.FromSeconds(25);
        });

        // The bus's health feeds grpc.health.v1: a lost broker connection makes the services that
        // use the bus NOT_SERVING, and they come back once it has reconnected.
        builder.Services.AddHealthChecks().AddCheck<BusHealthCheck>("bus", tags: [HealthDefaults.BusTag]);
        builder.Services.PostConfigure<HealthCheckServiceOptions>(checks =>
        {
            foreach (var registration in checks.Registrations.Where(r => r.Name == MassTransitCheckName).ToList())
            {
                checks.Registrations.Remove(registration);
            }
        });

        builder.Services.AddMassTransit(bus =>
        {
            // MassTransit's own check is replaced by BusHealthCheck (registered below), which
            // fails on degraded endpoints too; this name lets the registration be found.
            bus.ConfigureHealthCheckOptions(health => health.Name = MassTransitCheckName);
            // MassTransit 8.4+ reports anonymous usage to usage-tracking.masstransit.io by default. A self-hosted
            // service makes no calls its operator did not configure (and loopback-only test runs must not try).
            bus.DisableUsageTelemetry();
            foreach (var register in participants)
            {
                register(bus);
            }
            // Subscriptions the durable brokers keep from an earlier version, removed at start.
            var retired = builder.Properties.TryGetValue(typeof(RetiredSubscription), out var listed) ? (List<RetiredSubscription>)listed : null;
            // Every transport gets a message scheduler (ScheduleSend, saga schedules) on its own
            // delay: the in-memory transport's delayed delivery, DelaySeconds on SQS, and delay
            // queues on RabbitMQ, whose x-delay needs a plugin that is not installed.
            switch (options.Transport.ToLowerInvariant())
            {
                case "inmemory":
                    bus.AddDelayedMessageScheduler();
                    bus.UsingInMemory((context, transport) =>
                    {
                        transport.UseDelayedMessageScheduler();
                        transport.ConfigureEndpoints(context);
                    });
                    break;
                case "rabbitmq":
                    var uri = options.RabbitMqUri ?? throw new InvalidOperationException("Sluice:Broker:RabbitMqUri is required when Sluice:Broker:Transport is RabbitMq.");
                    bus.AddSingleton(_ => new RabbitMqDelayQueues(new Uri(uri)));
                    if (retired is not null)
                    {
                        builder.Services.AddHostedService(provider => new RabbitMqRetiredSubscriptions(new Uri(uri), retired,
                            provider.GetRequiredService<ILogger<RabbitMqRetiredSubscriptions>>()));
                    }
                    bus.AddScoped<IMessageScheduler>(provider => new MessageScheduler(
                        new RabbitMqTtlScheduleMessageProvider(provider.GetRequiredService<ISendEndpointProvider>(), provider.GetRequiredService<RabbitMqDelayQueues>()),
                        provider.GetRequiredService<IBus>().Topology));
                    bus.UsingRabbitMq((context, transport) =>
                    {
                        transport.Host(new Uri(uri));
                        transport.AddPrePipeSpecification(new RabbitMqTtlSchedulerFilter(context.GetRequiredService<RabbitMqDelayQueues>()));
                        transport.ConfigureEndpoints(context);
                    });
                    break;
                case "amazonsqs":
                    var sqs = AmazonSqsSettings(options.AmazonSqs);
                    bus.AddDelayedMessageScheduler();
                    if (retired is not null)
                    {
                        builder.Services.AddHostedService(provider => new AmazonSqsRetiredSubscriptions(sqs, retired,
                            provider.GetRequiredService<ILogger<AmazonSqsRetiredSubscriptions>>()));
                    }
                    bus.UsingSluiceAmazonSqs((context, transport) =>
                    {
                        transport.Host(sqs);
                        transport.UseDelayedMessageScheduler();
                        transport.ConfigureEndpoints(context);
                    });
                    break;
                default:
                    throw new InvalidOperationException($"Sluice:Broker:Transport '{options.Transport}' is not supported; use InMemory, RabbitMq or AmazonSqs.");
            }
        });
        return builder;
    }

    /// <summary>The SQS host settings from "Sluice:Broker:AmazonSqs", checked now so a bad value fails the start naming its key.</summary>
    private static SqsHostSettings AmazonSqsSettings(SluiceAmazonSqsOptions options)
    {
        var settings = new SqsHostSettings { Region = options.Region, ServiceUrl = options.ServiceUrl, Scope = options.Scope };
        try
        {
            settings.Validate();
        }
        catch (ArgumentException exception)
        {
            throw new InvalidOperationException($"{SluiceBrokerOptions.SectionName}:AmazonSqs:{exception.Message}", exception);
        }
        return settings;
    }

    private static Participants GetParticipants(IHostApplicationBuilder builder)
    {
        if (!builder.Properties.TryGetValue(typeof(Participants), out var value))
        {
            value = new Participants();
            builder.Properties[typeof(Participants)] = value;
        }
        return (Participants)value;
    }
}
