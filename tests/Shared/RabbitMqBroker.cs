namespace Sluice.Tests.Shared;

/// <summary>
/// The RabbitMQ server SLUICE_TEST_RABBITMQ names, as the durable profile's bus uses it. Compiled
/// into each test project that needs it (linked from tests/Shared), so each has the collection.
/// </summary>
public static class RabbitMqBroker
{
    /// <summary>
    /// Tests whose hosts share the broker. Its queues are named after the services' consumers and
    /// sagas, so two hosts at once would take each other's messages (a second validation host would
    /// even answer NoRuleset, not knowing the first one's rulesets): the tests run one at a time.
    /// Test classes on the in-memory bus still run alongside.
    /// </summary>
    public const string Collection = "RabbitMQ broker";

    public static string Uri =>
        Environment.GetEnvironmentVariable("SLUICE_TEST_RABBITMQ") is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                "SLUICE_TEST_RABBITMQ is not set: start RabbitMQ with `bash deploy/test-servers.sh start` and `eval \"$(bash deploy/test-servers.sh env)\"`, or run `bash tests/run.sh`.");

    /// <summary>Host configuration putting the service's bus on the broker.</summary>
    public static IReadOnlyDictionary<string, string?> BusConfiguration() => new Dictionary<string, string?>
    {
        ["Sluice:Broker:Transport"] = "RabbitMq",
        ["Sluice:Broker:RabbitMqUri"] = Uri,
    };
}

[CollectionDefinition(RabbitMqBroker.Collection)]
public sealed class RabbitMqBrokerCollection;
