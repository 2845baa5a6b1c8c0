using System.Formats.Tar;

namespace ModuleService.Registry.Imports;

/// <summary>
/// Unpacks an uploaded checkpoint tar into a folder, refusing anything that could write outside it or exhaust the
/// disk: absolute names, <c>..</c> segments, links and devices, too many entries, too many bytes.
/// </summary>
public static class TarExtractor
{
    /// <summary>
    /// Extracts <paramref name="tar"/> into <paramref name="destination"/> and returns the checkpoint folder: the
    /// destination itself when it holds <c>config.json</c>, else its single subfolder that does.
    /// </summary>
    /// <exception cref="InvalidModuleOperationException">Target names the offending entry.</exception>
    public static async Task<string> ExtractAsync(Stream tar, string destination, long maxBytes, int maxEntries, CancellationToken ct)
    {
        var root = Path.GetFullPath(destination);
        Directory.CreateDirectory(root);
        long total = 0;
        var entries = 0;
        await using var reader = new TarReader(tar, leaveOpen: true);
        while (await ReadNextAsync(reader, ct) is { } entry)
        {
            if (entry.EntryType is TarEntryType.GlobalExtendedAttributes) continue;
            if (++entries > maxEntries) throw new InvalidModuleOperationException(entry.Name, $"the tar has more than {maxEntries} entries");
            var path = SafePath(root, entry.Name);
            switch (entry.EntryType)
            {
                case TarEntryType.Directory:
                    Directory.CreateDirectory(path);
                    break;
                case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                    total += entry.Length;
                    // Checked against the header before writing, so a bomb never touches the disk.
                    if (total > maxBytes)
                        throw new InvalidModuleOperationException(entry.Name, $"the tar's content exceeds the limit of {maxBytes} bytes");
                    if (File.Exists(path) || Directory.Exists(path))
                        throw new InvalidModuleOperationException(entry.Name, "the tar holds this name twice");
                    Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                    await using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
                    {
                        if (entry.DataStream is { } data) await CopyExactlyAsync(data, file, entry.Length, entry.Name, ct);
                    }
                    break;
                default:
                    throw new InvalidModuleOperationException(entry.Name, $"tar entries of type {entry.EntryType} are not accepted (only files and folders)");
            }
        }
        return CheckpointFolder(root);
    }

    static async Task<TarEntry?> ReadNextAsync(TarReader reader, CancellationToken ct)
    {
        try { return await reader.GetNextEntryAsync(copyData: false, ct); }
        catch (Exception e) when (e is InvalidDataException or FormatException or EndOfStreamException)
        {
            throw new InvalidModuleOperationException("tar", $"not a readable tar archive: {e.Message}", e);
        }
    }

    /// <summary>The full path for an entry name, or an error if it would leave <paramref name="root"/>.</summary>
    internal static string SafePath(string root, string name)
    {
        if (string.IsNullOrEmpty(name) || name.Contains('\0') || name.Contains('\\'))
            throw new InvalidModuleOperationException(name, "entry name is empty or contains NUL or backslash");
        if (name.StartsWith('/') || Path.IsPathRooted(name))
            throw new InvalidModuleOperationException(name, "absolute entry names are not accepted");
        var segments = name.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (segments.Any(s => s == ".."))
            throw new InvalidModuleOperationException(name, "entry names must not contain '..'");
        var relative = string.Join('/', segments.Where(s => s != "."));
        var full = Path.GetFullPath(Path.Combine(root, relative));
        // Belt and braces: after normalisation the path must still be inside the root.
        if (full != root && !full.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw new InvalidModuleOperationException(name, "entry resolves outside the extraction folder");
        return full;
    }

    static async Task CopyExactlyAsync(Stream source, Stream target, long length, string name, CancellationToken ct)
    {
        var buffer = new byte[1 << 16];
        long copied = 0;
        int read;
        try
        {
            while ((read = await source.ReadAsync(buffer, ct)) > 0)
            {
                copied += read;
                if (copied > length) throw new InvalidModuleOperationException(name, "entry holds more data than its header declares");
                await target.WriteAsync(buffer.AsMemory(0, read), ct);
            }
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidModuleOperationException(name, $"entry is truncated ({copied} of {length} bytes)", e);
        }
        if (copied != length) throw new InvalidModuleOperationException(name, $"entry is truncated ({copied} of {length} bytes)");
    }

    static string CheckpointFolder(string root)
    {
        if (File.Exists(Path.Combine(root, "config.json"))) return root;
        var candidates = Directory.GetDirectories(root).Where(d => File.Exists(Path.Combine(d, "config.json"))).ToList();
        return candidates.Count == 1 ? candidates[0]
            : throw new InvalidModuleOperationException("config.json",
                candidates.Count == 0 ? "the tar holds no config.json at its root or in one top-level folder"
                    : "the tar holds several checkpoint folders; upload one");
    }
}
