using System.Text;

namespace ModuleService.Cli.Corpus;

/// <summary>
/// Small excerpts for tests and the CI smoke run: up to <c>maxDocuments</c> documents taken evenly across the split
/// (indices ⌊k·n/m⌋), each cut to whole leading lines within an equal share of the byte budget; what a short
/// document leaves unused goes to the documents after it.
/// </summary>
internal static class CorpusExcerpts
{
    public static List<CorpusDocument> Select(IReadOnlyList<CorpusDocument> documents, long budgetBytes, int maxDocuments)
    {
        int count = Math.Min(maxDocuments, documents.Count);
        var excerpt = new List<CorpusDocument>();
        long remaining = budgetBytes;
        for (int k = 0; k < count; k++)
        {
            var document = documents[(int)((long)k * documents.Count / count)];
            long share = remaining / (count - k);
            var text = CorpusSplits.LeadingLines(document.Text, share, Encoding.UTF8.GetByteCount);
            if (text.Length == 0) continue;
            excerpt.Add(document with { Text = text });
            remaining -= Encoding.UTF8.GetByteCount(text);
        }
        return excerpt;
    }
}
