using Google.Protobuf;
using Sluice.Query.Grpc;
using Sluice.Query.V1;
using Record = Sluice.Query.V1.Record;

namespace Sluice.Query.Tests;

/// <summary>The header put in front of a stored batch makes exactly the message protobuf would serialize.</summary>
public sealed class BatchFieldHeaderTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(40)]     // Batch encodings of 127 and 128 bytes sit either side of a one-byte length.
    [InlineData(2_000)]  // Lengths past 16,383: a three-byte varint.
    [InlineData(20_000)]
    public void Prepend_BatchOfAnySize_EqualsTheSerializedResponse(int rows)
    {
        var batch = new RecordBatch();
        for (var i = 0; i < rows; i++)
        {
            batch.Records.Add(new Record { Fields = { new Field { LongValue = i }, new Field { StringValue = $"row {i}" } } });
        }
        var stored = batch.ToByteArray();
        var buffer = new byte[BatchFieldHeader.MaxLength + stored.Length];
        stored.CopyTo(buffer, BatchFieldHeader.MaxLength);

        var message = BatchFieldHeader.Prepend(buffer, stored.Length);

        Assert.Equal(new StreamStatementResultResponse { Batch = batch }.ToByteArray(), message.ToArray());
    }

    [Fact]
    public void Prepend_LengthsAtVarintBoundaries_EqualsTheSerializedResponse()
    {
        foreach (var length in new[] { 127, 128, 16_383, 16_384, 2_097_151, 2_097_152 })
        {
            // A batch of one record whose string fills the batch to exactly `length` bytes.
            var batch = BatchOfLength(length);
            var stored = batch.ToByteArray();
            Assert.Equal(length, stored.Length);
            var buffer = new byte[BatchFieldHeader.MaxLength + stored.Length];
            stored.CopyTo(buffer, BatchFieldHeader.MaxLength);

            var message = BatchFieldHeader.Prepend(buffer, stored.Length);

            Assert.Equal(new StreamStatementResultResponse { Batch = batch }.ToByteArray(), message.ToArray());
        }
    }

    private static RecordBatch BatchOfLength(int length)
    {
        for (var text = length; text >= 0; text--)
        {
            var batch = new RecordBatch { Records = { new Record { Fields = { new Field { StringValue = new string('x', text) } } } } };
            if (batch.CalculateSize() == length)
            {
                return batch;
            }
        }
        throw new InvalidOperationException($"No single-string batch encodes to {length} bytes.");
    }
}
