using Sluice.Gateway.Definitions;

namespace Sluice.Gateway.Integrations;

/// <summary>The integration that serves each integration type.</summary>
internal sealed class IntegrationRegistry(MockIntegration mock, HttpIntegration http, SqlIntegration sql, GrpcIntegration grpc)
{
    public IIntegration For(IntegrationType type) => type switch
    {
        IntegrationType.Mock => mock,
        IntegrationType.Http or IntegrationType.HttpProxy => http,
        IntegrationType.Sql => sql,
        IntegrationType.Grpc => grpc,
        _ => throw new InvalidOperationException($"No integration serves {type}."),
    };
}
