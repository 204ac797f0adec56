using Google.Protobuf;
using Sluice.Query.Statements;
using Sluice.Query.V1;

namespace Sluice.Query.Grpc;

/// <summary>
/// The wire header of StreamStatementResultResponse's <c>batch</c> field (tag, then the length
/// as a varint), written in front of a RecordBatch's stored encoding to make the whole message.
/// </summary>
internal static class BatchFieldHeader
{
    private static readonly uint Tag = WireFormat.MakeTag(StreamStatementResultResponse.BatchFieldNumber, WireFormat.WireType.LengthDelimited);

    /// <summary>Room to leave in front of a batch: the tag and the longest 32-bit length varint.</summary>
    public static readonly int MaxLength = CodedOutputStream.ComputeRawVarint32Size(Tag) + CodedOutputStream.ComputeLengthSize(int.MaxValue);

    /// <summary>
    /// Writes the header right before the <paramref name="batchLength"/> bytes that follow
    /// <see cref="MaxLength"/> free bytes in <paramref name="buffer"/>; returns the message.
    /// </summary>
    public static ReadOnlyMemory<byte> Prepend(Memory<byte> buffer, int batchLength)
    {
        var headerLength = CodedOutputStream.ComputeRawVarint32Size(Tag) + CodedOutputStream.ComputeLengthSize(batchLength);
        var start = MaxLength - headerLength;
        var header = buffer.Span.Slice(start, headerLength);
        var written = ResultRecordEncoder.WriteVarint(header, Tag);
        ResultRecordEncoder.WriteVarint(header[written..], (uint)batchLength);
        return buffer.Slice(start, headerLength + batchLength);
    }
}
