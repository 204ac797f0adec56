using System.Net;
using Google.Rpc;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Sluice.Contracts;
using Sluice.Interop;
using Sluice.Interop.V1;

namespace Sluice.Grpc.Tests.EndToEnd;

/// <summary>
/// Server behaviour seen from a client: errors, rich details, deadlines enforced by the server.
/// The handlers are a test-only service bound by hand (no proto needed).
/// </summary>
public sealed class ServerBehaviourTests : IAsyncLifetime
{
    private WebApplication? _app;
    private GrpcChannel? _channel;

    public async Task InitializeAsync()
    {
        _app = InteropServer.Build(0, map: app => app.MapGrpcService<MisbehavingService>());
        await _app.StartAsync();
        _channel = GrpcChannel.ForAddress($"http://127.0.0.1:{InteropServer.GetPort(_app)}");
    }

    public async Task DisposeAsync()
    {
        _channel?.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }

    [Fact]
    public async Task UnhandledException_BecomesInternal_WithoutLeakingDetails()
    {
        var error = await Assert.ThrowsAsync<RpcException>(async () =>
            await _channel!.CreateUnaryCall(MisbehavingService.Throw, new EchoRequest(), new CallOptions(Deadline: DateTime.UtcNow.AddSeconds(30))));

        Assert.Equal(StatusCode.Internal, error.StatusCode);
        Assert.DoesNotContain("connection string", error.Status.Detail);
        Assert.DoesNotContain("at ", error.Status.Detail);
    }

    [Fact]
    public async Task RpcExceptionWithDetails_ClientReadsBadRequestViolations()
    {
        var error = await Assert.ThrowsAsync<RpcException>(async () =>
            await _channel!.CreateUnaryCall(MisbehavingService.Invalid, new EchoRequest(), new CallOptions(Deadline: DateTime.UtcNow.AddSeconds(30))));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal("The request is invalid.", error.Status.Detail);
        var badRequest = error.GetDetail<BadRequest>();
        Assert.NotNull(badRequest);
        var violation = Assert.Single(badRequest.FieldViolations);
        Assert.Equal("message", violation.Field);
        Assert.Equal("must not be empty", violation.Description);
    }

    [Fact]
    public async Task HandlerIgnoringCancellation_ServerStillAnswersDeadlineExceeded()
    {
        // No client-side deadline: only the server's own timer can end this call.
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false });
        using var request = RawGrpcRequest("test.Misbehaving/IgnoreCancellation", ("te", "trailers"), ("grpc-timeout", "200m"));

        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        await response.Content.ReadAsByteArrayAsync();

        var status = response.Headers.TryGetValues("grpc-status", out var inHeaders) ? inHeaders.Single()
            : response.TrailingHeaders.GetValues("grpc-status").Single();
        Assert.Equal("4", status);
        // The handler keeps running after the answer; it must have seen its token cancelled.
        Assert.True(await MisbehavingService.TokenCancelled.Task.WaitAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task UnsupportedRequestEncoding_UnimplementedWithAcceptEncoding()
    {
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false });
        using var request = RawGrpcRequest("sluice.interop.v1.InteropService/UnaryEcho", ("grpc-encoding", "snappy"));

        using var response = await http.SendAsync(request);

        Assert.Equal("12", response.Headers.GetValues("grpc-status").Single());
        Assert.Contains("gzip", response.Headers.GetValues("grpc-accept-encoding").Single());
    }

    /// <summary>An HTTP/2 gRPC request with an empty message, built by hand to control every header.</summary>
    private HttpRequestMessage RawGrpcRequest(string path, params (string Name, string Value)[] headers)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"{_channel!.Address}{path}")
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent([0, 0, 0, 0, 0]),
        };
        request.Content.Headers.ContentType = new("application/grpc");
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }
        return request;
    }

    /// <summary>Handlers that fail in the ways a careless service might.</summary>
    private sealed class MisbehavingService : IGrpcServiceDefinition<MisbehavingService>
    {
        public static readonly Method<EchoRequest, EchoResponse> Throw = new(MethodType.Unary, "test.Misbehaving", "Throw", EchoRequest.Parser, EchoResponse.Parser);
        public static readonly Method<EchoRequest, EchoResponse> Invalid = new(MethodType.Unary, "test.Misbehaving", "Invalid", EchoRequest.Parser, EchoResponse.Parser);
        public static readonly Method<EchoRequest, EchoResponse> IgnoreCancellation = new(MethodType.Unary, "test.Misbehaving", "IgnoreCancellation", EchoRequest.Parser, EchoResponse.Parser);

        public static readonly TaskCompletionSource<bool> TokenCancelled = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public static string ServiceName => "test.Misbehaving";

        public static void BindService(GrpcServiceBinder<MisbehavingService> binder)
        {
            binder.AddUnaryMethod(Throw, static (_, _, _) =>
                throw new InvalidOperationException("connection string Password=hunter2 could not be opened"));
            binder.AddUnaryMethod(Invalid, static (_, _, _) =>
                throw RichStatus.InvalidArgument("The request is invalid.", ("message", "must not be empty")));
            binder.AddUnaryMethod(IgnoreCancellation, static async (_, _, context) =>
            {
                await Task.Delay(1500); // deliberately ignores context.CancellationToken
                TokenCancelled.TrySetResult(context.CancellationToken.IsCancellationRequested);
                return new EchoResponse();
            });
        }
    }
}
