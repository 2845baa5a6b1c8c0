using ModuleService.Registry.Data.Entities;

namespace ModuleService.Registry.Auditing;

/// <summary>Target names used in audit actions (<c>module_version.create</c>, <c>assembly.archive</c>, …).</summary>
public static class AuditNames
{
    public static string Of(TargetType type) => type switch
    {
        TargetType.Family => "family",
        TargetType.Module => "module",
        TargetType.ModuleVersion => "module_version",
        TargetType.Blob => "blob",
        TargetType.Assembly => "assembly",
        TargetType.ApiKey => "api_key",
        TargetType.Dataset => "dataset",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };
}
