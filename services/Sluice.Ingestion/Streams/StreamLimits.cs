using System.Buffers.Binary;
using System.Globalization;
using System.Numerics;
using System.Security.Cryptography;
using System.Text;

namespace Sluice.Ingestion.Streams;

/// <summary>The request limits of Kinesis PutRecords, which push streams keep.</summary>
internal static class StreamLimits
{
    public const int MaxBatchRecords = 500;

    /// <summary>A whole batch: data and partition keys of every record.</summary>
    public const int MaxBatchBytes = 5 * 1024 * 1024;

    /// <summary>One record: its data and partition key.</summary>
    public const int MaxRecordBytes = 1024 * 1024;

    public const int MaxPartitionKeyLength = 256;

    public const int MaxRulesetLength = 65_536;

    public const string ThrottledCode = "ProvisionedThroughputExceededException";

    public const string InternalFailureCode = "InternalFailure";
}

/// <summary>
/// How Kinesis maps a record to a shard: the MD5 of the partition key (UTF-8) read as an unsigned
/// 128-bit big-endian integer, and shards owning equal, contiguous ranges of that space (the last
/// one taking the remainder).
/// </summary>
internal static class ShardHash
{
    public static UInt128 Of(string partitionKey)
    {
        Span<byte> digest = stackalloc byte[16];
        var length = Encoding.UTF8.GetByteCount(partitionKey);
        var bytes = length <= 1024 ? stackalloc byte[length] : new byte[length];
        Encoding.UTF8.GetBytes(partitionKey, bytes);
        MD5.HashData(bytes, digest);
        return BinaryPrimitives.ReadUInt128BigEndian(digest);
    }

    /// <summary>An explicit hash key: a decimal integer in [0, 2^128).</summary>
    public static bool TryParse(string text, out UInt128 hash)
    {
        hash = default;
        if (text.Length is 0 or > 39 || !BigInteger.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value > (BigInteger)UInt128.MaxValue)
        {
            return false;
        }
        hash = (UInt128)value;
        return true;
    }

    /// <summary>The width of each shard's range: 2^128 / shards, rounded down.</summary>
    private static UInt128 Width(int shards)
    {
        // 2^128 does not fit; floor(2^128 / n) = floor((2^128 - 1) / n) plus one when n divides 2^128.
        var width = UInt128.MaxValue / (uint)shards;
        return UInt128.MaxValue % (uint)shards == (uint)shards - 1 ? width + 1 : width;
    }

    public static int ShardOf(UInt128 hash, int shards)
    {
        if (shards == 1)
        {
            return 0;
        }
        var index = hash / Width(shards);
        return index >= (uint)shards ? shards - 1 : (int)index;
    }

    /// <summary>The first and last hash of shard <paramref name="shard"/>.</summary>
    public static (UInt128 Start, UInt128 End) Range(int shard, int shards)
    {
        if (shards == 1)
        {
            return (UInt128.Zero, UInt128.MaxValue);
        }
        var width = Width(shards);
        var start = width * (uint)shard;
        return (start, shard == shards - 1 ? UInt128.MaxValue : start + width - 1);
    }

    public static string ShardId(int shard) => "shardId-" + shard.ToString("D12", CultureInfo.InvariantCulture);

    /// <summary>A sequence number: the shard and the record's position in it, so numbers increase within a shard and never repeat in a stream.</summary>
    public static string SequenceNumber(int shard, long position) =>
        shard.ToString("D6", CultureInfo.InvariantCulture) + position.ToString("D20", CultureInfo.InvariantCulture);
}
