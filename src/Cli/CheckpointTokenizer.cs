using System.Globalization;
using ModuleService.Model;
using ModuleService.Model.Tokenizers;

namespace ModuleService.Cli;

/// <summary>Which tokenizer a checkpoint folder uses, and how prompts are turned into ids.</summary>
internal static class CheckpointTokenizer
{
    public static ITextTokenizer For(string directory, ModuleFormerConfig config, TextWriter log)
    {
        bool hasFiles = CheckpointTokenizers.TokenizerFiles.Any(f => File.Exists(Path.Combine(directory, f)));
        if (hasFiles && config.Tokenizer is null && config.VocabSize != MolmTokenizer.Size)
            log.WriteLine($"[modsvc] tokenizer files found but vocab_size {config.VocabSize} is not MoLM's {MolmTokenizer.Size}; using token ids");
        try { return CheckpointTokenizers.For(config, hasFiles); }
        catch (ArgumentException e) { throw new CliException(e.Message); }
    }

    /// <summary>
    /// Encodes a prompt. With the id tokenizer both <c>"1 2 3"</c> (spaces or commas) and <c>"&lt;1&gt;&lt;2&gt;"</c> are
    /// accepted, since typing brackets in a shell is awkward.
    /// </summary>
    public static long[] EncodePrompt(ITextTokenizer tokenizer, string prompt)
    {
        IReadOnlyList<int> ids;
        try
        {
            if (tokenizer is TokenIdTokenizer && !prompt.TrimStart().StartsWith('<'))
                ids = prompt.Split([' ', ',', '\t', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries)
                    .Select(s => int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var id) && id < tokenizer.VocabSize
                        ? id : throw new FormatException($"'{s}' is not a token id in [0, {tokenizer.VocabSize})"))
                    .ToList();
            else ids = tokenizer.Encode(tokenizer is TokenIdTokenizer ? prompt.Trim() : prompt);
        }
        catch (FormatException e) when (tokenizer is TokenIdTokenizer) { throw new CliException($"prompt: {e.Message} (this checkpoint has no tokenizer: give token ids like \"1 2 3\")"); }
        return ids.Select(i => (long)i).ToArray();
    }
}
