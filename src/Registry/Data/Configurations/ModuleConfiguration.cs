using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using ModuleService.Registry.Data.Entities;

namespace ModuleService.Registry.Data.Configurations;

sealed class ModuleConfiguration : IEntityTypeConfiguration<Module>
{
    public void Configure(EntityTypeBuilder<Module> builder)
    {
        builder.ToTable("modules");
        builder.HasKey(m => m.Id);
        builder.Property(m => m.Kind).HasConversion<string>().HasMaxLength(32);
        builder.Property(m => m.Name).HasMaxLength(200);
        builder.Property(m => m.CreatedBy).HasMaxLength(200);
        builder.HasOne<Family>().WithMany().HasForeignKey(m => m.FamilyId).OnDelete(DeleteBehavior.Restrict);
        builder.HasIndex(m => new { m.FamilyId, m.Name }).IsUnique();
        builder.HasIndex(m => new { m.FamilyId, m.Kind, m.Layer });
    }
}
