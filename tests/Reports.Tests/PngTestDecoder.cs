using System.Buffers.Binary;
using System.IO.Compression;
using Xunit;

namespace ModuleService.Reports.Tests;

/// <summary>A decoded PNG: always expanded to RGBA so tests can compare pixels uniformly.</summary>
internal sealed record DecodedPng(int Width, int Height, int ColorType, byte[] Rgba, List<string> ChunkTypes)
{
    public Rgba Pixel(int x, int y)
    {
        int i = (y * Width + x) * 4;
        return new Rgba(Rgba[i], Rgba[i + 1], Rgba[i + 2], Rgba[i + 3]);
    }

    public IEnumerable<Rgba> AllPixels() => Enumerable.Range(0, Width * Height).Select(i => Pixel(i % Width, i / Width));
}

/// <summary>
/// Deliberately independent of the production code (its own bitwise CRC, its own chunk parser), so a bug
/// shared by encoder and checker cannot make the tests pass. Supports only what PngWriter emits:
/// 8-bit RGB/RGBA, no interlace, filter type 0; anything else fails the test.
/// </summary>
internal static class PngTestDecoder
{
    public static readonly byte[] Signature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    public static DecodedPng Decode(byte[] png)
    {
        Assert.Equal(Signature, png[..8]);
        int width = 0, height = 0, colorType = -1;
        var idat = new MemoryStream();
        var types = new List<string>();
        int pos = 8;
        while (pos < png.Length)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(pos));
            string type = System.Text.Encoding.ASCII.GetString(png, pos + 4, 4);
            byte[] data = png[(pos + 8)..(pos + 8 + length)];
            uint stored = BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(pos + 8 + length));
            Assert.True(stored == BitwiseCrc(png.AsSpan(pos + 4, 4 + length)), $"bad CRC in {type} chunk");
            types.Add(type);
            if (type == "IHDR")
            {
                width = BinaryPrimitives.ReadInt32BigEndian(data);
                height = BinaryPrimitives.ReadInt32BigEndian(data.AsSpan(4));
                Assert.Equal(8, data[8]);
                colorType = data[9];
                Assert.Equal(0, data[12]);
            }
            else if (type == "IDAT") idat.Write(data);
            pos += 12 + length;
        }
        Assert.Equal(png.Length, pos);
        Assert.Equal("IHDR", types[0]);
        Assert.Equal("IEND", types[^1]);

        int bpp = colorType switch { 6 => 4, 2 => 3, _ => throw new Xunit.Sdk.XunitException($"colour type {colorType}") };
        idat.Position = 0;
        using var zlib = new ZLibStream(idat, CompressionMode.Decompress);
        var raw = new MemoryStream();
        zlib.CopyTo(raw);
        byte[] bytes = raw.ToArray();
        int stride = width * bpp;
        Assert.Equal(height * (stride + 1), bytes.Length);

        var rgba = new byte[width * height * 4];
        for (int y = 0; y < height; y++)
        {
            int row = y * (stride + 1);
            Assert.Equal(0, bytes[row]); // filter type 0: bytes are the pixels themselves
            for (int x = 0; x < width; x++)
            {
                int src = row + 1 + x * bpp, dst = (y * width + x) * 4;
                rgba[dst] = bytes[src];
                rgba[dst + 1] = bytes[src + 1];
                rgba[dst + 2] = bytes[src + 2];
                rgba[dst + 3] = bpp == 4 ? bytes[src + 3] : (byte)255;
            }
        }
        return new DecodedPng(width, height, colorType, rgba, types);
    }

    public static uint BitwiseCrc(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++)
                crc = (crc >> 1) ^ (0xEDB88320u & (uint)-(int)(crc & 1));
        }
        return ~crc;
    }
}
