namespace ModuleService.Reports;

/// <summary>
/// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320) as required by PNG chunks.
/// System.IO.Hashing is a NuGet package, not part of the BCL, so we carry the 1 KB table ourselves.
/// </summary>
public static class Crc32
{
    private static readonly uint[] Table = BuildTable();

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++)
                c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            table[n] = c;
        }
        return table;
    }

    /// <summary>CRC of a whole buffer.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => Append(0, data);

    /// <summary>
    /// Continues a CRC over more data, so a chunk's type and payload can be hashed without copying them together.
    /// Pass 0 to start; the pre/post inversion is handled here.
    /// </summary>
    public static uint Append(uint crc, ReadOnlySpan<byte> data)
    {
        uint c = ~crc;
        foreach (byte b in data)
            c = Table[(c ^ b) & 0xFF] ^ (c >> 8);
        return ~c;
    }
}
