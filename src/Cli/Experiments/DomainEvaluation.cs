using ModuleService.Model.Architecture;
using ModuleService.Model.Training;
using static TorchSharp.torch;

namespace ModuleService.Cli.Experiments;

/// <summary>Perplexity, bits per byte and usage of one model on one domain's validation stream.</summary>
public sealed record DomainScore(string Domain, double Perplexity, double? BitsPerByte, long Tokens, double TotalNll, EvaluationResult Result);

public static class DomainEvaluation
{
    /// <param name="maxTokens">cap on predicted tokens (null = the whole capped validation stream).</param>
    public static DomainScore Score(ModuleFormerForCausalLM model, DomainTokens domain, int sequenceLength, long? maxTokens = null, ExpertMask? mask = null)
    {
        using var scope = NewDisposeScope();
        long covered = EvaluationWindows.CoveredTokens(domain.Validation.Length, maxTokens);
        long bytes = (long)(domain.ValidationBytes * (double)covered / domain.Validation.Length);
        var result = Evaluator.Evaluate(model, domain.Validation, sequenceLength, 8, maxTokens, bytes, mask);
        return new DomainScore(domain.Domain, result.Perplexity, result.BitsPerByte, result.Tokens, result.TotalNll, result);
    }

    /// <summary>Usage (and loss) on a token stream other than validation, e.g. a training subset for ranking experts.</summary>
    public static EvaluationResult Usage(ModuleFormerForCausalLM model, int[] tokens, int sequenceLength)
    {
        using var scope = NewDisposeScope();
        return Evaluator.Evaluate(model, tokens, sequenceLength, 8);
    }
}
