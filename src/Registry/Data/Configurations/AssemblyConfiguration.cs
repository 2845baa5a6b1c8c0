using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using ModuleService.Registry.Data.Entities;

namespace ModuleService.Registry.Data.Configurations;

sealed class AssemblyConfiguration : IEntityTypeConfiguration<Assembly>
{
    public void Configure(EntityTypeBuilder<Assembly> builder)
    {
        builder.ToTable("assemblies");
        builder.HasKey(a => a.Id);
        builder.Property(a => a.Name).HasMaxLength(200);
        builder.Property(a => a.Manifest).HasColumnType("jsonb");
        builder.Property(a => a.ManifestHash).HasMaxLength(64);
        builder.Property(a => a.Evaluation).HasColumnType("jsonb");
        builder.Property(a => a.CreatedBy).HasMaxLength(200);
        builder.HasOne<Family>().WithMany().HasForeignKey(a => a.FamilyId).OnDelete(DeleteBehavior.Restrict);
        builder.HasOne<Assembly>().WithMany().HasForeignKey(a => a.ParentAssemblyId).OnDelete(DeleteBehavior.Restrict);
        builder.HasIndex(a => new { a.Name, a.Version }).IsUnique();
        builder.HasIndex(a => a.ManifestHash);
        builder.HasIndex(a => a.FamilyId);
    }
}
