namespace ModuleService.Registry.Data.Entities;

/// <summary>An API key; only the sha256 of the secret is stored. Revocation and rate limits are rows of their own.</summary>
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

/// <summary>
/// A key's own rate limits. Keys are immutable, so a change is a new row and the newest row of a key wins
/// (ordered by <see cref="Id"/>, which the database assigns, so two changes in one clock tick still order).
/// Null means "the configured default", 0 means unlimited.
/// </summary>
public sealed class ApiKeyLimit
{
    public long Id { get; init; }
    public Guid KeyId { get; init; }
    public int? RequestsPerMinute { get; init; }
    public int? TokensPerMinute { get; init; }
    public DateTimeOffset SetAt { get; init; }
    public required string SetBy { get; init; }
}
