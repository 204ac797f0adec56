using Sluice.Grpc.Protocol;

namespace Sluice.Grpc.Tests.Protocol;

public sealed class HeaderEncodingTests
{
    [Theory]
    [InlineData("plain text", "plain text")]
    [InlineData("100%", "100%25")]
    [InlineData("é", "%C3%A9")]
    [InlineData("line1\r\nline2", "line1%0D%0Aline2")]
    [InlineData("✓ 数据", "%E2%9C%93 %E6%95%B0%E6%8D%AE")]
    public void PercentEncoding_EncodeAndDecode_RoundTrip(string text, string encoded)
    {
        Assert.Equal(encoded, PercentEncoding.Encode(text));
        Assert.Equal(text, PercentEncoding.Decode(encoded));
    }

    [Theory]
    [InlineData("%zz oops %", "%zz oops %")]
    [InlineData("%4", "%4")]
    public void PercentEncoding_MalformedEscape_IsKeptAsText(string encoded, string decoded) =>
        Assert.Equal(decoded, PercentEncoding.Decode(encoded));

    [Theory]
    [InlineData("1H", 36000000000L)]
    [InlineData("2M", 1200000000L)]
    [InlineData("3S", 30000000L)]
    [InlineData("500m", 5000000L)]
    [InlineData("250u", 2500L)]
    [InlineData("100n", 1L)]
    public void GrpcTimeout_TryParse_ValidUnits(string header, long ticks)
    {
        Assert.True(GrpcTimeout.TryParse(header, out var timeout));
        Assert.Equal(ticks, timeout.Ticks);
    }

    [Fact]
    public void GrpcTimeout_TryParse_HugeValueIsClamped()
    {
        Assert.True(GrpcTimeout.TryParse("99999999H", out var timeout));
        Assert.Equal(GrpcTimeout.Max, timeout);
    }

    [Theory]
    [InlineData("")]
    [InlineData("S")]
    [InlineData("123456789S")]
    [InlineData("10x")]
    [InlineData("-1S")]
    public void GrpcTimeout_TryParse_RejectsMalformed(string header) =>
        Assert.False(GrpcTimeout.TryParse(header, out _));

    [Fact]
    public void GrpcTimeout_Format_FitsEightDigits()
    {
        foreach (var timeout in new[] { TimeSpan.FromMilliseconds(1), TimeSpan.FromSeconds(30), TimeSpan.FromDays(29) })
        {
            var text = GrpcTimeout.Format(timeout);
            Assert.True(text.Length <= 9, text);
            Assert.True(GrpcTimeout.TryParse(text, out var parsed));
            Assert.True(parsed >= timeout, $"{text} parsed to {parsed}, shorter than {timeout}");
        }
    }

    [Fact]
    public void Metadata_RejectsInvalidKeysAndValues()
    {
        var metadata = new Metadata();
        Assert.Throws<ArgumentException>(() => metadata.Add("Bad Key", "v"));
        Assert.Throws<ArgumentException>(() => metadata.Add("grpc-status", "0"));
        Assert.Throws<ArgumentException>(() => metadata.Add("text", "non-ascii é"));
        Assert.Throws<ArgumentException>(() => metadata.Add("data-bin", "text value"));
        Assert.Throws<ArgumentException>(() => metadata.Add("data", new byte[] { 1 }));
        metadata.Add("X-Mixed-Case", "ok");
        Assert.Equal("ok", metadata.GetValue("x-mixed-case"));
    }
}
