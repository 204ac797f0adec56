using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Sluice.Gateway.Integrations;

/// <summary>API Gateway's mock: the request template's <c>statusCode</c> picks the integration response; no backend.</summary>
internal sealed class MockIntegration : IIntegration
{
    // A mock's answer depends on its status code alone: one finished task per code, made on first use.
    private readonly Task<IntegrationResult>?[] _answers = new Task<IntegrationResult>?[600];

    public Task<IntegrationResult> InvokeAsync(IntegrationCall call, CancellationToken cancellationToken)
    {
        var status = StatusCodeOf(call.Body);
        if ((uint)status >= (uint)_answers.Length)
        {
            return Task.FromResult(Answer(status));
        }
        return _answers[status] ??= Task.FromResult(Answer(status));
    }

    private static IntegrationResult Answer(int status) => new() { StatusCode = status, Body = "" };

    /// <summary>
    /// The top-level <c>statusCode</c> (a number or a numeric string; the last one if repeated) of the
    /// rendered template; 200 when there is none or the body is not JSON, as API Gateway's mock
    /// answers. Read with a forward-only reader: on every mock request, so no document is built.
    /// </summary>
    private static int StatusCodeOf(string body)
    {
        if (body.Length == 0)
        {
            return 200;
        }
        var rented = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(body.Length));
        try
        {
            var reader = new Utf8JsonReader(rented.AsSpan(0, Encoding.UTF8.GetBytes(body, rented)), new JsonReaderOptions { MaxDepth = 128 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return 200;
            }
            var status = 200;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isStatus = reader.ValueTextEquals("statusCode"u8);
                reader.Read();
                if (isStatus)
                {
                    status = reader.TokenType switch
                    {
                        JsonTokenType.Number when reader.TryGetInt32(out var number) => number,
                        JsonTokenType.String when int.TryParse(reader.GetString(), out var number) => number,
                        _ => 200,
                    };
                }
                reader.Skip();
            }
            // The whole body must be JSON, as a parsed document would require: anything after the object is an error.
            return reader.TokenType == JsonTokenType.EndObject && !reader.Read() ? status : 200;
        }
        catch (JsonException)
        {
            // Not JSON: API Gateway's mock then answers 200 too.
            return 200;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }
}
