using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using ModuleService.Registry.Data.Entities;

namespace ModuleService.Registry.Data.Configurations;

sealed class FamilyConfiguration : IEntityTypeConfiguration<Family>
{
    public void Configure(EntityTypeBuilder<Family> builder)
    {
        builder.ToTable("families");
        builder.HasKey(f => f.Id);
        builder.Property(f => f.Name).HasMaxLength(200);
        builder.Property(f => f.ConfigJson).HasColumnType("jsonb");
        builder.Property(f => f.Tokenizer).HasMaxLength(200);
        builder.Property(f => f.FamilyHash).HasMaxLength(64);
        builder.Property(f => f.TokenizerFiles).HasColumnType("jsonb");
        builder.HasIndex(f => f.FamilyHash).IsUnique();
        builder.HasIndex(f => f.Name);
    }
}
