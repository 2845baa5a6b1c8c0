using System.IO.Compression;

namespace ModuleService.Api.Tests.Support;

internal static class GzipBytes
{
    public static byte[] Of(byte[] content)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest)) gzip.Write(content);
        return output.ToArray();
    }
}
