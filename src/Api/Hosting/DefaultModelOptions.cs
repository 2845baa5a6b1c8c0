namespace ModuleService.Api.Hosting;

/// <summary>Section "DefaultModel": the small pretrained model that ships with the product.</summary>
public sealed class DefaultModelOptions
{
    public const string SectionName = "DefaultModel";

    /// <summary>Register it at start when no assembly of <see cref="Name"/> exists yet.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The checkpoint folder; by default the copy of the repository's <c>models/default</c> next to the app.</summary>
    public string Path { get; set; } = System.IO.Path.Combine(AppContext.BaseDirectory, "models", "default");

    public string Name { get; set; } = "default";
}
