using ModuleService.Model.Tokenizers;
using ModuleService.Model.Training;

namespace ModuleService.Cli.Experiments;

/// <summary>A domain as token streams: documents joined by end-of-text, validation capped (data-and-evaluation §1.4).</summary>
/// <param name="Train">the training stream.</param>
/// <param name="Validation">the validation stream, at most the cap + 1 tokens.</param>
/// <param name="ValidationBytes">UTF-8 bytes the validation stream decodes to (for bits per byte).</param>
public sealed record DomainTokens(string Domain, int[] Train, int[] Validation, long ValidationBytes)
{
    /// <param name="validationCap">predicted validation tokens to keep (the doc caps them at 128 k).</param>
    public static DomainTokens From(DomainText text, ITextTokenizer tokenizer, long validationCap)
    {
        int eot = tokenizer.EndOfTextId;
        var train = TokenBatcher.Concatenate(text.Train.Select(tokenizer.Encode), eot);
        var validation = new List<int>();
        foreach (var document in text.Validation)
        {
            if (validation.Count > validationCap) break;
            validation.AddRange(tokenizer.Encode(document));
            validation.Add(eot);
        }
        var capped = validation.Take((int)Math.Min(validation.Count, validationCap + 1)).ToArray();
        long bytes = System.Text.Encoding.UTF8.GetByteCount(tokenizer.Decode(capped));
        return new DomainTokens(text.Domain, train, capped, bytes);
    }

    /// <summary>The first <paramref name="count"/> training tokens (a fixed subset, e.g. for usage ranking).</summary>
    public int[] TrainPrefix(long count) => Train.Take((int)Math.Min(count, Train.Length)).ToArray();
}
