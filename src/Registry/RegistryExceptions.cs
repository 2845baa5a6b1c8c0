namespace ModuleService.Registry;

/// <summary>Base of the registry's domain errors; the API maps each subtype to one HTTP status.</summary>
public abstract class RegistryException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>The thing asked for does not exist (→ 404).</summary>
public sealed class NotFoundException(string what, string key)
    : RegistryException($"{what} '{key}' not found")
{
    public string What { get; } = what;
    public string Key { get; } = key;
}

/// <summary>The request clashes with the current state, e.g. an illegal stage transition (→ 409).</summary>
public sealed class ConflictException(string message) : RegistryException(message);

/// <summary>
/// A well-formed request the registry cannot carry out (→ 422): a corrupt checkpoint, an incompatible module, an
/// assembly that would break ModuleFormer's rules. <see cref="Target"/> names the module, tensor or file at fault.
/// </summary>
public sealed class InvalidModuleOperationException(string target, string message, Exception? inner = null)
    : RegistryException($"{target}: {message}", inner)
{
    public string Target { get; } = target;
}

/// <summary>
/// Stored bytes do not hash to their key: storage corruption, never a client error (→ 503, naming what the blob
/// holds so an operator knows what to restore). Nothing is ever served from such a blob.
/// </summary>
/// <param name="owner">what the blob holds, when the reader knows (e.g. "module version … (layer0.mlp.expert3 v1)").</param>
public sealed class BlobIntegrityException(string sha256, string message, string? owner = null)
    : RegistryException($"{(owner is null ? "" : owner + ": ")}stored blob {sha256} failed verification: {message}")
{
    public string Sha256 { get; } = sha256;
    public string? Owner { get; } = owner;
}
