namespace ModuleService.Api.Auth;

/// <summary>Section "Auth".</summary>
public sealed class AuthOptions
{
    public const string SectionName = "Auth";

    /// <summary>
    /// An admin key accepted as-is, so a fresh install can create real keys (environment
    /// <c>Auth__BootstrapAdminKey</c>). Empty disables it.
    /// </summary>
    public string? BootstrapAdminKey { get; set; }
}
