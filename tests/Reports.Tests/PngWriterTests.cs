using System.Text;
using Xunit;

namespace ModuleService.Reports.Tests;

public class PngWriterTests
{
    [Fact]
    public void Crc32_matches_the_standard_check_value()
    {
        // "123456789" -> 0xCBF43926 is the published check value for CRC-32/ISO-HDLC (the PNG CRC).
        Assert.Equal(0xCBF43926u, Crc32.Compute(Encoding.ASCII.GetBytes("123456789")));
        Assert.Equal(0u, Crc32.Compute([]));
        byte[] data = Encoding.ASCII.GetBytes("IHDR and some payload");
        Assert.Equal(Crc32.Compute(data), Crc32.Append(Crc32.Compute(data.AsSpan(0, 4)), data.AsSpan(4)));
    }

    [Fact]
    public void Rgba_output_has_signature_valid_chunks_and_round_trips()
    {
        var rnd = new Random(42);
        byte[] pixels = new byte[13 * 7 * 4];
        rnd.NextBytes(pixels);
        byte[] png = PngWriter.EncodeRgba(13, 7, pixels);

        Assert.Equal(PngTestDecoder.Signature, png[..8]);
        var decoded = PngTestDecoder.Decode(png); // also verifies every chunk CRC
        Assert.Equal(["IHDR", "IDAT", "IEND"], decoded.ChunkTypes);
        Assert.Equal((13, 7, 6), (decoded.Width, decoded.Height, decoded.ColorType));
        Assert.Equal(pixels, decoded.Rgba);
    }

    [Fact]
    public void Rgb_output_round_trips()
    {
        byte[] rgb = [255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30];
        var decoded = PngTestDecoder.Decode(PngWriter.EncodeRgb(2, 2, rgb));
        Assert.Equal(2, decoded.ColorType);
        Assert.Equal(new Rgba(255, 0, 0), decoded.Pixel(0, 0));
        Assert.Equal(new Rgba(0, 0, 255), decoded.Pixel(0, 1));
        Assert.Equal(new Rgba(10, 20, 30), decoded.Pixel(1, 1));
    }

    [Fact]
    public void Corrupted_byte_is_caught_by_crc_check()
    {
        byte[] png = PngWriter.EncodeRgba(2, 2, new byte[16]);
        png[20] ^= 0x01; // inside IHDR data
        Assert.ThrowsAny<Exception>(() => PngTestDecoder.Decode(png));
    }

    [Fact]
    public void Rejects_bad_dimensions_and_buffer_sizes()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => PngWriter.EncodeRgba(0, 1, []));
        Assert.Throws<ArgumentException>(() => PngWriter.EncodeRgba(2, 2, new byte[15]));
        Assert.Throws<ArgumentException>(() => PngWriter.EncodeRgb(2, 2, new byte[16]));
    }
}
