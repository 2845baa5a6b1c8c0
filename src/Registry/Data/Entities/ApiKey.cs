namespace ModuleService.Registry.Data.Entities;

/// <summary>An API key; only the sha256 of the secret is stored. Revocation is a separate row.</summary>
public sealed class ApiKey
{
    public Guid Id { get; init; }
    public required string Name { get; init; }
    /// <summary>First characters of the secret, for recognising a key in listings.</summary>
    public required string Prefix { get; init; }
    public required string SecretHash { get; init; }
    public required string[] Scopes { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public required string CreatedBy { get; init; }
}

/// <summary>Marks a key revoked (keys are never updated or deleted).</summary>
public sealed class ApiKeyRevocation
{
    public Guid KeyId { get; init; }
    public DateTimeOffset At { get; init; }
    public required string By { get; init; }
}
