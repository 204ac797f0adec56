namespace Sluice.Transports.AmazonSqs.Tests;

public sealed record OrderPlaced(Guid OrderId, string Customer);

public sealed record PingRequest(string Text);

public sealed record PongResponse(string Text);

public sealed record FailingWork(Guid WorkId);

public sealed record SlowWork(Guid WorkId, int Seconds);

public sealed record Tick(Guid CorrelationId, int Sequence);
