using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using ModuleService.Registry.Data.Entities;

namespace ModuleService.Registry.Data.Configurations;

sealed class ApiKeyConfiguration : IEntityTypeConfiguration<ApiKey>
{
    public void Configure(EntityTypeBuilder<ApiKey> builder)
    {
        builder.ToTable("api_keys");
        builder.HasKey(k => k.Id);
        builder.Property(k => k.Name).HasMaxLength(200);
        builder.Property(k => k.Prefix).HasMaxLength(32);
        builder.Property(k => k.SecretHash).HasMaxLength(64);
        builder.Property(k => k.CreatedBy).HasMaxLength(200);
        builder.HasIndex(k => k.SecretHash).IsUnique();
    }
}
