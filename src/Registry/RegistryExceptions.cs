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

/// <summary>Stored bytes do not hash to their key: storage corruption, never a client error (→ 500).</summary>
public sealed class BlobIntegrityException(string sha256, string message)
    : RegistryException($"blob {sha256}: {message}")
{
    public string Sha256 { get; } = sha256;
}
