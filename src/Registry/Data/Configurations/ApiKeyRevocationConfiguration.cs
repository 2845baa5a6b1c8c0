using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using ModuleService.Registry.Data.Entities;

namespace ModuleService.Registry.Data.Configurations;

sealed class ApiKeyRevocationConfiguration : IEntityTypeConfiguration<ApiKeyRevocation>
{
    public void Configure(EntityTypeBuilder<ApiKeyRevocation> builder)
    {
        builder.ToTable("api_key_revocations");
        // One revocation per key: the key id is the primary key.
        builder.HasKey(r => r.KeyId);
        builder.Property(r => r.By).HasMaxLength(200);
        builder.HasOne<ApiKey>().WithMany().HasForeignKey(r => r.KeyId).OnDelete(DeleteBehavior.Restrict);
    }
}
