using System.Text;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Grpc.Core;
using Grpc.Net.ClientFactory;
using Microsoft.AspNetCore.Http;
using Sluice.Gateway.Backends;
using Sluice.Gateway.Definitions;

namespace Sluice.Gateway.Integrations;

/// <summary>
/// Sluice's grpc integration: the (templated) JSON body becomes the method's request message,
/// using the descriptors compiled into Sluice.Contracts; a unary reply comes back as JSON, a
/// server stream as NDJSON written as the messages arrive. gRPC errors become the error message
/// the integration responses select on ("NOT_FOUND: no statement ...").
/// </summary>
internal sealed class GrpcIntegration(GrpcClientFactory clients) : IIntegration
{
    private static readonly Dictionary<string, Google.Protobuf.Reflection.ServiceDescriptor> Services = new FileDescriptor[]
    {
        Sluice.Query.V1.QueryReflection.Descriptor,
        Sluice.Validation.V1.ValidationReflection.Descriptor,
    }.SelectMany(f => f.Services).ToDictionary(s => s.FullName, StringComparer.Ordinal);

    private static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(false));
    private static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default.WithFormatDefaultValues(true));

    /// <summary>The method a grpc uri names, or null with the reason.</summary>
    public static MethodDescriptor? Resolve(GrpcUri uri, out string? problem)
    {
        problem = null;
        if (Backend(uri.Backend) is null)
        {
            problem = $"'{uri.Backend}' is not a backend the gateway reaches (query, validation).";
            return null;
        }
        if (!Services.TryGetValue(uri.Service, out var service))
        {
            problem = $"'{uri.Service}' is not a service of the Sluice contracts.";
            return null;
        }
        var method = service.FindMethodByName(uri.Method);
        if (method is null)
        {
            problem = $"'{uri.Service}' has no method '{uri.Method}'.";
            return null;
        }
        if (method.IsClientStreaming)
        {
            problem = $"'{uri.Method}' streams from the client; only unary and server-streaming methods are served.";
            return null;
        }
        return method;
    }

    public async Task<IntegrationResult> InvokeAsync(IntegrationCall call, CancellationToken cancellationToken)
    {
        var uri = GrpcUri.TryParse(call.Context.Method!.Integration.Uri!, out var parsed) ? parsed! : throw new InvalidOperationException("Bad grpc uri.");
        var descriptor = Resolve(uri, out var problem) ?? throw new InvalidOperationException(problem);
        IMessage message;
        try
        {
            message = Parser.Parse(call.Body.Length == 0 ? "{}" : call.Body, descriptor.InputType);
        }
        catch (InvalidProtocolBufferException exception)
        {
            return new IntegrationResult { ErrorMessage = "INVALID_ARGUMENT: " + exception.Message, StatusCode = 500 };
        }
        var invoker = clients.CreateClient<BackendClient>(Backend(uri.Backend)!).Invoker;
        var marshallerIn = Marshallers.Create<IMessage>(m => m.ToByteArray(), bytes => descriptor.InputType.Parser.ParseFrom(bytes));
        var marshallerOut = Marshallers.Create<IMessage>(m => m.ToByteArray(), bytes => descriptor.OutputType.Parser.ParseFrom(bytes));
        var options = new CallOptions(cancellationToken: cancellationToken);
        if (!descriptor.IsServerStreaming)
        {
            var method = new Method<IMessage, IMessage>(MethodType.Unary, descriptor.Service.FullName, descriptor.Name, marshallerIn, marshallerOut);
            try
            {
                var reply = await invoker.AsyncUnaryCall(method, null, options, message).ResponseAsync.ConfigureAwait(false);
                return new IntegrationResult { Body = Formatter.Format(reply) };
            }
            catch (RpcException exception) when (exception.StatusCode != StatusCode.Cancelled && exception.StatusCode != StatusCode.DeadlineExceeded)
            {
                return new IntegrationResult { ErrorMessage = Error(exception), StatusCode = 500 };
            }
        }
        var streaming = new Method<IMessage, IMessage>(MethodType.ServerStreaming, descriptor.Service.FullName, descriptor.Name, marshallerIn, marshallerOut);
        var stream = invoker.AsyncServerStreamingCall(streaming, null, options, message);
        // The first message (or the error) decides the response: an early failure is selected like a unary one.
        bool any;
        try
        {
            any = await stream.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false);
        }
        catch (RpcException exception) when (exception.StatusCode != StatusCode.Cancelled && exception.StatusCode != StatusCode.DeadlineExceeded)
        {
            stream.Dispose();
            return new IntegrationResult { ErrorMessage = Error(exception), StatusCode = 500 };
        }
        if (call.BufferResponse)
        {
            var builder = new StringBuilder("[");
            using (stream)
            {
                var first = true;
                while (any)
                {
                    builder.Append(first ? "" : ",").Append(Formatter.Format(stream.ResponseStream.Current));
                    first = false;
                    any = await stream.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false);
                }
            }
            return new IntegrationResult { Body = builder.Append(']').ToString() };
        }
        return new IntegrationResult
        {
            ContentType = SqlIntegration.NdjsonType,
            Stream = async (response, token) =>
            {
                using (stream)
                {
                    response.StatusCode = 200;
                    response.ContentType = SqlIntegration.NdjsonType;
                    while (any)
                    {
                        await response.WriteAsync(Formatter.Format(stream.ResponseStream.Current) + "\n", token).ConfigureAwait(false);
                        await response.Body.FlushAsync(token).ConfigureAwait(false);
                        any = await stream.ResponseStream.MoveNext(token).ConfigureAwait(false);
                    }
                }
            },
        };
    }

    /// <summary>"NOT_FOUND: detail": what selection patterns match a gRPC failure against.</summary>
    private static string Error(RpcException exception) => $"{ToSnake(exception.StatusCode)}: {exception.Status.Detail}";

    private static string ToSnake(StatusCode code) => string.Concat(code.ToString().Select((c, i) => i > 0 && char.IsUpper(c) ? "_" + c : c.ToString())).ToUpperInvariant();

    private static string? Backend(string host) => host.ToLowerInvariant() switch
    {
        "query" => "Query",
        "validation" => "Validation",
        _ => null,
    };
}
