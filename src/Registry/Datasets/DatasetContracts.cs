using ModuleService.Registry.Data.Entities;

namespace ModuleService.Registry.Datasets;

/// <summary>A dataset as clients and jobs see it; <see cref="Tokens"/> holds the latest count per tokenizer.</summary>
public sealed record DatasetView(Guid Id, string Name, DatasetFormat Format, string Sha256, long Bytes, long Documents,
    Stage Stage, DateTimeOffset CreatedAt, string CreatedBy, IReadOnlyList<DatasetTokenCount> Tokens);

public sealed record DatasetTokenCount(string Tokenizer, long Tokens, DateTimeOffset ComputedAt, Guid? JobId);

/// <summary>Filters for <see cref="DatasetStore.ListAsync"/>; archived datasets are hidden unless asked for.</summary>
public sealed record DatasetQuery(string? Name = null, DatasetFormat? Format = null, Stage? Stage = null, bool IncludeArchived = false);

/// <summary>Which side of the train/validation split a document falls on (<see cref="DatasetStore.Split"/>).</summary>
public enum DatasetSplit { Train, Validation }

/// <summary>
/// Dataset names appear in URLs, where <c>/v1/datasets/{id}</c> takes an id or a name, so a name may not look
/// like a Guid.
/// </summary>
public static class DatasetNames
{
    public const string Rule = "1-100 characters: letters, digits, '.', '_' or '-', starting with a letter or digit, not a Guid";

    public static bool IsValid(string? name) =>
        name is { Length: >= 1 and <= 100 } && char.IsAsciiLetterOrDigit(name[0]) &&
        name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-') && !Guid.TryParse(name, out _);
}

/// <summary>An upload exceeded <see cref="DatasetOptions.MaxUploadBytes"/> (→ 413); nothing was written.</summary>
public sealed class DatasetTooLargeException(long limit)
    : RegistryException($"the upload is larger than the limit of {limit} bytes (Datasets:MaxUploadBytes)")
{
    public long Limit { get; } = limit;
}
