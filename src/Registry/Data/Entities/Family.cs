namespace ModuleService.Registry.Data.Entities;

/// <summary>
/// The architecture a module fits: the ModuleFormer config without expert counts (those belong to an assembly),
/// plus the tokenizer. Two checkpoints whose weights can be mixed share one family.
/// </summary>
public sealed class Family
{
    public Guid Id { get; init; }
    public required string Name { get; init; }
    /// <summary>config.json without n_att_experts / n_mlp_experts; unknown keys kept so export round-trips them.</summary>
    public required string ConfigJson { get; init; }
    public required string Tokenizer { get; init; }
    /// <summary>sha256 of the canonical family JSON (config, tokenizer id, tokenizer files); the family's identity.</summary>
    public required string FamilyHash { get; init; }
    /// <summary>JSON map: tokenizer file name → blob sha256.</summary>
    public required string TokenizerFiles { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
}
