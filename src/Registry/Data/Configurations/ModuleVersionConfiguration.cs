using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using ModuleService.Registry.Data.Entities;

namespace ModuleService.Registry.Data.Configurations;

sealed class ModuleVersionConfiguration : IEntityTypeConfiguration<ModuleVersion>
{
    public void Configure(EntityTypeBuilder<ModuleVersion> builder)
    {
        builder.ToTable("module_versions");
        builder.HasKey(v => v.Id);
        builder.Property(v => v.Sha256).HasMaxLength(64);
        builder.Property(v => v.DType).HasMaxLength(16);
        builder.Property(v => v.Shapes).HasColumnType("jsonb");
        builder.Property(v => v.Provenance).HasColumnType("jsonb");
        builder.Property(v => v.CreatedBy).HasMaxLength(200);
        builder.HasOne<Module>().WithMany().HasForeignKey(v => v.ModuleId).OnDelete(DeleteBehavior.Restrict);
        builder.HasOne<Blob>().WithMany().HasForeignKey(v => v.Sha256).OnDelete(DeleteBehavior.Restrict);
        builder.HasOne<ModuleVersion>().WithMany().HasForeignKey(v => v.ParentVersionId).OnDelete(DeleteBehavior.Restrict);
        builder.HasIndex(v => new { v.ModuleId, v.Version }).IsUnique();
        builder.HasIndex(v => new { v.ModuleId, v.Sha256 });
    }
}
