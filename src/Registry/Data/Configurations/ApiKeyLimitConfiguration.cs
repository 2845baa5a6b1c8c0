using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using ModuleService.Registry.Data.Entities;

namespace ModuleService.Registry.Data.Configurations;

sealed class ApiKeyLimitConfiguration : IEntityTypeConfiguration<ApiKeyLimit>
{
    public void Configure(EntityTypeBuilder<ApiKeyLimit> builder)
    {
        builder.ToTable("api_key_limits", table =>
        {
            table.HasCheckConstraint("ck_api_key_limits_requests_per_minute", "requests_per_minute >= 0");
            table.HasCheckConstraint("ck_api_key_limits_tokens_per_minute", "tokens_per_minute >= 0");
        });
        builder.HasKey(l => l.Id);
        builder.Property(l => l.Id).UseIdentityAlwaysColumn();
        builder.Property(l => l.SetBy).HasMaxLength(200);
        // Authentication reads a key's newest row on every request.
        builder.HasIndex(l => new { l.KeyId, l.Id }).IsDescending(false, true);
        builder.HasOne<ApiKey>().WithMany().HasForeignKey(l => l.KeyId).OnDelete(DeleteBehavior.Restrict);
    }
}
