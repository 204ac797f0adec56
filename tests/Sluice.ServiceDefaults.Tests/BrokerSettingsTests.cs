namespace Sluice.ServiceDefaults.Tests;

/// <summary>Broker settings a host checks at start, failing with the key and what it accepts.</summary>
public sealed class BrokerSettingsTests
{
    [Theory]
    [InlineData("Region", "", "Region is required")]
    [InlineData("Region", "moon-base", "Region 'moon-base' is not an AWS region name")]
    [InlineData("ServiceUrl", "127.0.0.1:4566", "ServiceUrl '127.0.0.1:4566' must be an absolute http or https URL")]
    [InlineData("ServiceUrl", "ftp://127.0.0.1/", "ServiceUrl 'ftp://127.0.0.1/' must be an absolute http or https URL")]
    [InlineData("Scope", "team.a", "Scope 'team.a' may hold only letters, digits, '-' and '_'")]
    [InlineData("Scope", "a-scope-far-longer-than-forty-characters-in-all", "at most 40 characters")]
    public async Task Start_AmazonSqsSettingInvalid_FailsNamingTheKey(string key, string value, string expected)
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await using var host = await HostUnderTest.StartAsync(["--Sluice:Broker:Transport=AmazonSqs", $"--Sluice:Broker:AmazonSqs:{key}={value}"]);
        });

        Assert.Contains($"Sluice:Broker:AmazonSqs:{key}", error.Message);
        Assert.Contains(expected, error.Message);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(99, 99)]
    [InlineData(100, 100)]
    [InlineData(101, 110)]
    [InlineData(1000, 1000)]
    [InlineData(1001, 1100)]
    [InlineData(1234, 1300)]
    [InlineData(59_999, 60_000)]
    [InlineData(3_600_000, 3_600_000)]
    public void RabbitMqQueueDelay_RoundsUpToTwoSignificantDigits_NeverShorter(int milliseconds, int expected)
    {
        var delay = RabbitMqDelayedDelivery.QueueDelay(TimeSpan.FromMilliseconds(milliseconds));

        Assert.Equal(expected, delay.TotalMilliseconds);
        Assert.Equal($"Work.delay-{expected}ms", RabbitMqDelayedDelivery.QueueName("Work", delay));
    }

    [Fact]
    public void RabbitMqQueueDelay_NoneOrBeyondTheLimit_Refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => RabbitMqDelayedDelivery.QueueDelay(TimeSpan.Zero));
        Assert.Throws<ArgumentOutOfRangeException>(() => RabbitMqDelayedDelivery.QueueDelay(RabbitMqDelayedDelivery.MaxDelay + TimeSpan.FromMilliseconds(1)));
    }
}
