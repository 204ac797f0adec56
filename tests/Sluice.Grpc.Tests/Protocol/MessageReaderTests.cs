using System.Buffers;
using System.IO.Compression;
using System.IO.Pipelines;
using Google.Protobuf;
using Sluice.Grpc.Protocol;
using Sluice.Interop.V1;

namespace Sluice.Grpc.Tests.Protocol;

/// <summary>Framing edge cases of the length-prefixed message reader, fed through a real pipe.</summary>
public sealed class MessageReaderTests
{
    private static byte[] Frame(IMessage message, bool gzip = false)
    {
        var writer = new ArrayBufferWriter<byte>();
        MessageFraming.WriteMessage(writer, message, maxMessageSize: null, gzip);
        return writer.WrittenSpan.ToArray();
    }

    private static EchoRequest Sample(string text, int payload = 100) =>
        new() { Message = text, Payload = ByteString.CopyFrom(Enumerable.Range(0, payload).Select(i => (byte)i).ToArray()) };

    [Fact]
    public async Task ReadMessageAsync_MessageSplitAcrossManyReads_ReassemblesIt()
    {
        var pipe = new Pipe();
        var reader = new MessageReader(pipe.Reader, 4 * 1024 * 1024, encoding: null);
        var expected = Sample("split", payload: 1000);
        var bytes = Frame(expected);

        var read = reader.ReadMessageAsync(EchoRequest.Parser, CancellationToken.None).AsTask();
        foreach (var chunk in bytes.Chunk(3))
        {
            Assert.False(read.IsCompleted);
            await pipe.Writer.WriteAsync(chunk);
        }
        await pipe.Writer.CompleteAsync();

        Assert.Equal(expected, await read);
        Assert.Null(await reader.ReadMessageAsync(EchoRequest.Parser, CancellationToken.None));
    }

    [Fact]
    public async Task ReadMessageAsync_SeveralMessagesInOneRead_ReturnsEachInOrder()
    {
        var pipe = new Pipe();
        var messages = Enumerable.Range(0, 5).Select(i => Sample("m" + i, payload: i * 7)).ToList();
        await pipe.Writer.WriteAsync(messages.SelectMany(m => Frame(m)).ToArray());
        await pipe.Writer.CompleteAsync();
        var reader = new MessageReader(pipe.Reader, 4 * 1024 * 1024, encoding: null);

        var read = new List<EchoRequest>();
        while (await reader.ReadMessageAsync(EchoRequest.Parser, CancellationToken.None) is { } message)
        {
            read.Add(message);
        }

        Assert.Equal(messages, read);
    }

    [Fact]
    public async Task ReadMessageAsync_StreamEndsInsideFrame_ThrowsInternal()
    {
        var pipe = new Pipe();
        var bytes = Frame(Sample("truncated"));
        await pipe.Writer.WriteAsync(bytes.AsMemory(0, bytes.Length - 4));
        await pipe.Writer.CompleteAsync();
        var reader = new MessageReader(pipe.Reader, 4 * 1024 * 1024, encoding: null);

        var error = await Assert.ThrowsAsync<RpcException>(() => reader.ReadMessageAsync(EchoRequest.Parser, CancellationToken.None).AsTask());

        Assert.Equal(StatusCode.Internal, error.StatusCode);
        Assert.Contains("Incomplete message", error.Status.Detail);
    }

    [Fact]
    public async Task ReadMessageAsync_StreamEndsInsidePrefix_ThrowsInternal()
    {
        var pipe = new Pipe();
        await pipe.Writer.WriteAsync(new byte[] { 0, 0, 0 });
        await pipe.Writer.CompleteAsync();
        var reader = new MessageReader(pipe.Reader, 4 * 1024 * 1024, encoding: null);

        var error = await Assert.ThrowsAsync<RpcException>(() => reader.ReadMessageAsync(EchoRequest.Parser, CancellationToken.None).AsTask());

        Assert.Equal(StatusCode.Internal, error.StatusCode);
    }

    [Fact]
    public async Task ReadMessageAsync_DeclaredLengthOverLimit_ThrowsResourceExhaustedBeforePayloadArrives()
    {
        var pipe = new Pipe();
        // Only the prefix is written: the limit must be enforced from the declared length alone.
        var prefix = new byte[MessageFraming.HeaderLength];
        MessageFraming.WriteHeader(prefix, compressed: false, length: 5 * 1024 * 1024);
        await pipe.Writer.WriteAsync(prefix);
        var reader = new MessageReader(pipe.Reader, 4 * 1024 * 1024, encoding: null);

        var error = await Assert.ThrowsAsync<RpcException>(() => reader.ReadMessageAsync(EchoRequest.Parser, CancellationToken.None).AsTask());

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.Contains("5242880", error.Status.Detail);
    }

    [Fact]
    public async Task ReadMessageAsync_CompressedFlagWithoutNegotiatedEncoding_ThrowsInternal()
    {
        var pipe = new Pipe();
        await pipe.Writer.WriteAsync(Frame(Sample("zipped"), gzip: true));
        await pipe.Writer.CompleteAsync();
        var reader = new MessageReader(pipe.Reader, 4 * 1024 * 1024, encoding: null);

        var error = await Assert.ThrowsAsync<RpcException>(() => reader.ReadMessageAsync(EchoRequest.Parser, CancellationToken.None).AsTask());

        Assert.Equal(StatusCode.Internal, error.StatusCode);
        Assert.Contains("grpc-encoding", error.Status.Detail);
    }

    [Fact]
    public async Task ReadMessageAsync_GzipFrameWithGzipEncoding_Decompresses()
    {
        var pipe = new Pipe();
        var expected = Sample(new string('z', 5000));
        var frame = Frame(expected, gzip: true);
        Assert.Equal(1, frame[0]);
        Assert.True(frame.Length < expected.CalculateSize());
        await pipe.Writer.WriteAsync(frame);
        await pipe.Writer.CompleteAsync();
        var reader = new MessageReader(pipe.Reader, 4 * 1024 * 1024, encoding: "gzip");

        Assert.Equal(expected, await reader.ReadMessageAsync(EchoRequest.Parser, CancellationToken.None));
    }

    [Fact]
    public async Task ReadMessageAsync_GzipBombOverLimit_ThrowsResourceExhausted()
    {
        var pipe = new Pipe();
        var big = new EchoRequest { Payload = ByteString.CopyFrom(new byte[2 * 1024 * 1024]) };
        await pipe.Writer.WriteAsync(Frame(big, gzip: true));
        await pipe.Writer.CompleteAsync();
        var reader = new MessageReader(pipe.Reader, 1024 * 1024, encoding: "gzip");

        var error = await Assert.ThrowsAsync<RpcException>(() => reader.ReadMessageAsync(EchoRequest.Parser, CancellationToken.None).AsTask());

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
    }

    [Fact]
    public async Task ReadMessageAsync_InvalidCompressedFlag_ThrowsInternal()
    {
        var pipe = new Pipe();
        await pipe.Writer.WriteAsync(new byte[] { 7, 0, 0, 0, 0 });
        await pipe.Writer.CompleteAsync();
        var reader = new MessageReader(pipe.Reader, 4 * 1024 * 1024, encoding: null);

        var error = await Assert.ThrowsAsync<RpcException>(() => reader.ReadMessageAsync(EchoRequest.Parser, CancellationToken.None).AsTask());

        Assert.Equal(StatusCode.Internal, error.StatusCode);
    }

    [Fact]
    public async Task ReadSingleMessageAsync_TwoMessages_ThrowsInternal()
    {
        var pipe = new Pipe();
        await pipe.Writer.WriteAsync(Frame(Sample("a")).Concat(Frame(Sample("b"))).ToArray());
        await pipe.Writer.CompleteAsync();
        var reader = new MessageReader(pipe.Reader, 4 * 1024 * 1024, encoding: null);

        var error = await Assert.ThrowsAsync<RpcException>(() => reader.ReadSingleMessageAsync(EchoRequest.Parser, CancellationToken.None).AsTask());

        Assert.Equal(StatusCode.Internal, error.StatusCode);
    }

    [Fact]
    public async Task ReadSingleMessageAsync_FrameThenEndInLaterRead_ReturnsMessage()
    {
        var pipe = new Pipe();
        var expected = Sample("late end");
        var reader = new MessageReader(pipe.Reader, 4 * 1024 * 1024, encoding: null);

        var read = reader.ReadSingleMessageAsync(EchoRequest.Parser, CancellationToken.None).AsTask();
        await pipe.Writer.WriteAsync(Frame(expected));
        Assert.False(read.IsCompleted); // a whole frame is not enough: the stream must end too
        await pipe.Writer.CompleteAsync();

        Assert.Equal(expected, await read);
    }

    [Fact]
    public async Task ReadSingleMessageAsync_EmptyStream_ThrowsInternal()
    {
        var pipe = new Pipe();
        await pipe.Writer.CompleteAsync();
        var reader = new MessageReader(pipe.Reader, 4 * 1024 * 1024, encoding: null);

        var error = await Assert.ThrowsAsync<RpcException>(() => reader.ReadSingleMessageAsync(EchoRequest.Parser, CancellationToken.None).AsTask());

        Assert.Equal(StatusCode.Internal, error.StatusCode);
        Assert.Contains("without any", error.Status.Detail);
    }

    [Fact]
    public async Task ReadSingleMessageAsync_ExtraBytesBeforeEnd_FailsWithoutWaitingForEnd()
    {
        var pipe = new Pipe();
        await pipe.Writer.WriteAsync(Frame(Sample("one")).Concat(new byte[] { 0, 0 }).ToArray());
        var reader = new MessageReader(pipe.Reader, 4 * 1024 * 1024, encoding: null);

        // The writer never completes: the reader must not keep buffering a second message.
        var error = await Assert.ThrowsAsync<RpcException>(() => reader.ReadSingleMessageAsync(EchoRequest.Parser, CancellationToken.None).AsTask());

        Assert.Equal(StatusCode.Internal, error.StatusCode);
    }

    [Fact]
    public async Task ReadSingleMessageAsync_TruncatedFrame_ThrowsInternal()
    {
        var pipe = new Pipe();
        var bytes = Frame(Sample("cut"));
        await pipe.Writer.WriteAsync(bytes.AsMemory(0, bytes.Length - 1));
        await pipe.Writer.CompleteAsync();
        var reader = new MessageReader(pipe.Reader, 4 * 1024 * 1024, encoding: null);

        var error = await Assert.ThrowsAsync<RpcException>(() => reader.ReadSingleMessageAsync(EchoRequest.Parser, CancellationToken.None).AsTask());

        Assert.Equal(StatusCode.Internal, error.StatusCode);
        Assert.Contains("Incomplete message", error.Status.Detail);
    }

    [Fact]
    public async Task ReadMessageAsync_EmptyMessage_ReadsZeroLengthFrame()
    {
        var pipe = new Pipe();
        await pipe.Writer.WriteAsync(new byte[] { 0, 0, 0, 0, 0 });
        await pipe.Writer.CompleteAsync();
        var reader = new MessageReader(pipe.Reader, 4 * 1024 * 1024, encoding: null);

        Assert.Equal(new EchoRequest(), await reader.ReadMessageAsync(EchoRequest.Parser, CancellationToken.None));
    }

    [Fact]
    public void WriteMessage_OverSendLimit_ThrowsResourceExhausted()
    {
        var writer = new ArrayBufferWriter<byte>();
        var error = Assert.Throws<RpcException>(() => MessageFraming.WriteMessage(writer, Sample("x", payload: 2000), maxMessageSize: 1000, gzip: false));

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.Equal(0, writer.WrittenCount);
    }
}
