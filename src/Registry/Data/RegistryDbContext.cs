using Microsoft.EntityFrameworkCore;
using ModuleService.Registry.Data.Entities;

namespace ModuleService.Registry.Data;

/// <summary>
/// The module registry's tables. Rows are only ever inserted (database triggers refuse UPDATE and DELETE, see the
/// Initial migration). New migration:
/// <c>dotnet ef migrations add &lt;Name&gt; --project migrations --startup-project migrations</c>.
/// </summary>
public sealed class RegistryDbContext(DbContextOptions<RegistryDbContext> options) : DbContext(options)
{
    /// <summary>Assembly that holds the migrations (the separate <c>migrations/</c> project).</summary>
    public const string MigrationsAssembly = "ModuleService.Migrations";

    public DbSet<Family> Families => Set<Family>();
    public DbSet<Module> Modules => Set<Module>();
    public DbSet<ModuleVersion> ModuleVersions => Set<ModuleVersion>();
    public DbSet<Blob> Blobs => Set<Blob>();
    public DbSet<BlobChunk> BlobChunks => Set<BlobChunk>();
    public DbSet<Assembly> Assemblies => Set<Assembly>();
    public DbSet<StageEvent> StageEvents => Set<StageEvent>();
    public DbSet<AuditEntry> AuditEntries => Set<AuditEntry>();
    public DbSet<ApiKey> ApiKeys => Set<ApiKey>();
    public DbSet<ApiKeyRevocation> ApiKeyRevocations => Set<ApiKeyRevocation>();
    public DbSet<ApiKeyLimit> ApiKeyLimits => Set<ApiKeyLimit>();
    public DbSet<ExpertUsageRecord> ExpertUsage => Set<ExpertUsageRecord>();
    public DbSet<Dataset> Datasets => Set<Dataset>();
    public DbSet<DatasetStatistic> DatasetStatistics => Set<DatasetStatistic>();

    /// <summary>The one place provider options are set, shared by DI and the design-time factory.</summary>
    public static DbContextOptionsBuilder Configure(DbContextOptionsBuilder builder, string connectionString) =>
        builder.UseNpgsql(connectionString, npgsql => npgsql.MigrationsAssembly(MigrationsAssembly))
            .UseSnakeCaseNamingConvention();

    protected override void OnModelCreating(ModelBuilder modelBuilder) =>
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(RegistryDbContext).Assembly);
}
