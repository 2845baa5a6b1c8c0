using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using ModuleService.Registry.Data;

namespace ModuleService.Migrations;

/// <summary>
/// Lets <c>dotnet ef migrations add &lt;Name&gt; --project migrations --startup-project migrations</c> build the model
/// without the Api. Adding a migration never connects; the connection string only has to parse
/// (<c>MODSVC_DESIGN_CONNECTION</c> overrides it for <c>dotnet ef database update</c>).
/// </summary>
public sealed class DesignTimeRegistryDbContextFactory : IDesignTimeDbContextFactory<RegistryDbContext>
{
    public RegistryDbContext CreateDbContext(string[] args)
    {
        var connectionString = Environment.GetEnvironmentVariable("MODSVC_DESIGN_CONNECTION")
            ?? "Host=127.0.0.1;Port=5432;Username=postgres;Database=modsvc";
        var options = new DbContextOptionsBuilder<RegistryDbContext>();
        RegistryDbContext.Configure(options, connectionString);
        return new RegistryDbContext(options.Options);
    }
}
