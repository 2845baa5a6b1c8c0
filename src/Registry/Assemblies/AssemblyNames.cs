namespace ModuleService.Registry.Assemblies;

/// <summary>
/// Assembly names appear in URLs and in <c>name@version</c> model ids. One rule for every way an assembly is made
/// (import, compose, jobs), so none can create a name the API could not address.
/// </summary>
public static class AssemblyNames
{
    public const string Rule = "1-100 characters: letters, digits, '.', '_' or '-', starting with a letter or digit";

    public static bool IsValid(string? name) =>
        name is { Length: >= 1 and <= 100 } && char.IsAsciiLetterOrDigit(name[0]) &&
        name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');
}
