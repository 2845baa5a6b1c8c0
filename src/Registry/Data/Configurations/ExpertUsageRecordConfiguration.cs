using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using ModuleService.Registry.Data.Entities;

namespace ModuleService.Registry.Data.Configurations;

sealed class ExpertUsageRecordConfiguration : IEntityTypeConfiguration<ExpertUsageRecord>
{
    public void Configure(EntityTypeBuilder<ExpertUsageRecord> builder)
    {
        // The checks keep hand-written inserts (e.g. a backfill) from poisoning the aggregates pruning relies on.
        builder.ToTable("expert_usage", table =>
        {
            table.HasCheckConstraint("ck_expert_usage_counts", "selections >= 0 AND gate_sum >= 0 AND layer >= 0 AND expert_index >= 0");
            table.HasCheckConstraint("ck_expert_usage_window", "window_end >= window_start");
            table.HasCheckConstraint("ck_expert_usage_kind", "kind IN ('AttentionExpert', 'MlpExpert')");
        });
        builder.HasKey(r => r.Id);
        builder.Property(r => r.Id).UseIdentityAlwaysColumn();
        builder.Property(r => r.Kind).HasConversion<string>().HasMaxLength(32);
        builder.Property(r => r.Node).HasMaxLength(200);
        builder.HasOne<Assembly>().WithMany().HasForeignKey(r => r.AssemblyId).OnDelete(DeleteBehavior.Restrict);
        builder.HasOne<ModuleVersion>().WithMany().HasForeignKey(r => r.ModuleVersionId).OnDelete(DeleteBehavior.Restrict);
        builder.HasIndex(r => new { r.AssemblyId, r.Layer, r.Kind, r.ExpertIndex });
    }
}
