using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using ModuleService.Api.Tests.Support;
using ModuleService.Model.Checkpoints;
using Xunit;

namespace ModuleService.Api.Tests.Imports;

/// <summary>
/// Issue #8: a corrupt safetensors file (truncated header, lengths and offsets past the end, overlapping ranges,
/// dtype or shape that do not match the bytes) imported through the API, from a server folder or an uploaded tar:
/// 422 naming the file or tensor, no server path in the message, nothing written.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class CorruptSafetensorsImportTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    const string First = "lm_head.weight";         // F32 [512, 64] at [0, 131072]
    const string Second = "transformer.h.0.attn.cum_weight";

    public static TheoryData<string, string> Corruptions() => new()
    {
        { "shorter than the length prefix", CheckpointLoader.SafetensorsFile },
        { "truncated header", CheckpointLoader.SafetensorsFile },
        { "header length past the end", CheckpointLoader.SafetensorsFile },
        { "huge header length", CheckpointLoader.SafetensorsFile },
        { "header is not JSON", CheckpointLoader.SafetensorsFile },
        { "offsets past the end", First },
        { "negative offset", First },
        { "overlapping ranges", Second },
        { "shape does not match the bytes", First },
        { "dtype does not match the bytes", First },
        { "unknown dtype", First },
    };

    [Theory]
    [MemberData(nameof(Corruptions))]
    public async Task ACorruptSafetensorsFolder_Is422NamingFileOrTensor_AndWritesNothing(string corruption, string target)
    {
        using var folder = Corrupt(corruption);
        var before = await DatabaseState.SnapshotAsync(api);

        var response = await api.Admin.PostJsonAsync("/v1/imports", new { path = folder.Path, name = "corrupt" });

        await AssertRefusedAsync(response, target, folder.Path);
        Assert.Equal(before, await DatabaseState.SnapshotAsync(api));
    }

    [Theory]
    [InlineData("huge header length", CheckpointLoader.SafetensorsFile)]
    [InlineData("overlapping ranges", Second)]
    public async Task ACorruptSafetensorsTar_Is422NamingFileOrTensor_AndWritesNothing(string corruption, string target)
    {
        using var folder = Corrupt(corruption);
        var before = await DatabaseState.SnapshotAsync(api);
        using var content = new ByteArrayContent(Checkpoints.Tar(folder.Path));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-tar");

        var response = await api.Admin.PostAsync("/v1/imports?name=corrupt", content);

        await AssertRefusedAsync(response, target, folder.Path);
        Assert.Equal(before, await DatabaseState.SnapshotAsync(api));
    }

    static async Task AssertRefusedAsync(HttpResponseMessage response, string target, string folder)
    {
        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.UnprocessableEntity);
        Assert.Equal(target, problem.Target);
        Assert.Contains(target, problem.Detail);
        Assert.DoesNotContain(folder, problem.Body);
        Assert.DoesNotContain(Path.GetTempPath(), problem.Body);
    }

    static TempDir Corrupt(string corruption)
    {
        var folder = Checkpoints.Copy(Checkpoints.Tiny);
        var file = folder.File(CheckpointLoader.SafetensorsFile);
        var bytes = File.ReadAllBytes(file);
        var headerLength = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        var header = JsonNode.Parse(bytes.AsSpan(8, headerLength))!.AsObject();
        var data = bytes[(8 + headerLength)..];
        byte[] Rewritten(Action<JsonObject> edit)
        {
            edit(header);
            var json = Encoding.UTF8.GetBytes(header.ToJsonString());
            return [.. Prefix((ulong)json.Length), .. json, .. data];
        }
        File.WriteAllBytes(file, corruption switch
        {
            "shorter than the length prefix" => bytes[..5],
            "truncated header" => bytes[..(8 + headerLength / 2)],
            "header length past the end" => [.. Prefix((ulong)bytes.Length), .. bytes[8..]],
            "huge header length" => [.. Prefix(1UL << 62), .. bytes[8..]],
            "header is not JSON" => [.. bytes[..8], .. Enumerable.Repeat((byte)'{', headerLength), .. data],
            "offsets past the end" => Rewritten(h => h[First]!["data_offsets"] = new JsonArray(0, data.Length + 4096)),
            "negative offset" => Rewritten(h => h[First]!["data_offsets"] = new JsonArray(-8, 131064)),
            "overlapping ranges" => Rewritten(h => h[Second]!["data_offsets"] = new JsonArray(65536, 65536 + 262144)),
            "shape does not match the bytes" => Rewritten(h => h[First]!["shape"] = new JsonArray(512, 63)),
            "dtype does not match the bytes" => Rewritten(h => h[First]!["dtype"] = "F64"),
            "unknown dtype" => Rewritten(h => h[First]!["dtype"] = "Q4"),
            _ => throw new ArgumentException(corruption),
        });
        return folder;
    }

    static byte[] Prefix(ulong length)
    {
        var prefix = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(prefix, length);
        return prefix;
    }
}
