using System.Buffers.Binary;
using System.IO.Compression;

namespace ModuleService.Reports;

/// <summary>
/// Minimal PNG encoder: 8-bit truecolour (RGB or RGBA), no interlacing, filter type 0 on every row.
/// Filter 0 compresses worse than adaptive filtering, but charts are mostly flat colour, which
/// deflate already handles well, and it keeps the encoder (and any decoder we test with) trivial.
/// </summary>
public static class PngWriter
{
    private static readonly byte[] Signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>Encodes a row-major RGBA buffer (4 bytes per pixel, no row padding).</summary>
    public static byte[] EncodeRgba(int width, int height, ReadOnlySpan<byte> rgba) => Encode(width, height, rgba, 4);

    /// <summary>Encodes a row-major RGB buffer (3 bytes per pixel, no row padding).</summary>
    public static byte[] EncodeRgb(int width, int height, ReadOnlySpan<byte> rgb) => Encode(width, height, rgb, 3);

    private static byte[] Encode(int width, int height, ReadOnlySpan<byte> pixels, int bytesPerPixel)
    {
        // PNG forbids zero dimensions and caps them at 2^31-1; we also guard the buffer size up front
        // so a caller bug surfaces as an argument error rather than a corrupt image.
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        long stride = (long)width * bytesPerPixel;
        if (pixels.Length != stride * height)
            throw new ArgumentException($"Expected {stride * height} bytes for {width}x{height}, got {pixels.Length}.", nameof(pixels));

        using var output = new MemoryStream();
        output.Write(Signature);

        Span<byte> ihdr = stackalloc byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr[4..], height);
        ihdr[8] = 8;                                  // bit depth
        ihdr[9] = (byte)(bytesPerPixel == 4 ? 6 : 2); // colour type: 6 = RGBA, 2 = RGB
        ihdr[10] = 0;                                 // compression: deflate
        ihdr[11] = 0;                                 // filter method: adaptive set (we only use type 0)
        ihdr[12] = 0;                                 // no interlace
        WriteChunk(output, "IHDR", ihdr);

        WriteChunk(output, "IDAT", Compress(pixels, (int)stride, height));
        WriteChunk(output, "IEND", []);
        return output.ToArray();
    }

    private static byte[] Compress(ReadOnlySpan<byte> pixels, int stride, int height)
    {
        using var compressed = new MemoryStream();
        // ZLibStream adds the 2-byte zlib header and Adler-32 trailer that PNG's IDAT requires
        // (a raw DeflateStream would not be readable by other decoders).
        using (var zlib = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
        {
            ReadOnlySpan<byte> filterNone = [0];
            for (int y = 0; y < height; y++)
            {
                zlib.Write(filterNone);
                zlib.Write(pixels.Slice(y * stride, stride));
            }
        }
        return compressed.ToArray();
    }

    private static void WriteChunk(Stream output, string type, ReadOnlySpan<byte> data)
    {
        Span<byte> header = stackalloc byte[8];
        BinaryPrimitives.WriteInt32BigEndian(header, data.Length);
        for (int i = 0; i < 4; i++) header[4 + i] = (byte)type[i];
        output.Write(header);
        output.Write(data);

        // The CRC covers the chunk type and data but not the length field.
        uint crc = Crc32.Append(Crc32.Compute(header[4..]), data);
        Span<byte> trailer = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(trailer, crc);
        output.Write(trailer);
    }
}
