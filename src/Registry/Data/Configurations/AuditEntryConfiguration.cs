using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using ModuleService.Registry.Data.Entities;

namespace ModuleService.Registry.Data.Configurations;

sealed class AuditEntryConfiguration : IEntityTypeConfiguration<AuditEntry>
{
    public void Configure(EntityTypeBuilder<AuditEntry> builder)
    {
        builder.ToTable("audit_entries");
        builder.HasKey(e => e.Id);
        builder.Property(e => e.Id).UseIdentityAlwaysColumn();
        builder.Property(e => e.Actor).HasMaxLength(200);
        builder.Property(e => e.Action).HasMaxLength(100);
        builder.Property(e => e.TargetType).HasConversion<string>().HasMaxLength(32);
        builder.Property(e => e.TargetId).HasMaxLength(100);
        builder.Property(e => e.Details).HasColumnType("jsonb");
        builder.HasIndex(e => new { e.TargetType, e.TargetId });
        builder.HasIndex(e => e.At);
    }
}
