using System.Text.Json;

namespace Sluice.Gateway.Integrations;

/// <summary>API Gateway's mock: the request template's <c>statusCode</c> picks the integration response; no backend.</summary>
internal sealed class MockIntegration : IIntegration
{
    public Task<IntegrationResult> InvokeAsync(IntegrationCall call, CancellationToken cancellationToken)
    {
        var status = 200;
        if (call.Body.Length > 0)
        {
            try
            {
                using var document = JsonDocument.Parse(call.Body);
                if (document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("statusCode", out var code))
                {
                    status = code.ValueKind == JsonValueKind.Number && code.TryGetInt32(out var number) ? number
                        : code.ValueKind == JsonValueKind.String && int.TryParse(code.GetString(), out number) ? number : 200;
                }
            }
            catch (JsonException)
            {
                // Not JSON: API Gateway's mock then answers 200 too.
            }
        }
        return Task.FromResult(new IntegrationResult { StatusCode = status, Body = "" });
    }
}
