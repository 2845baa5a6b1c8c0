using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using ModuleService.Registry.Data.Entities;

namespace ModuleService.Registry.Data.Configurations;

sealed class StageEventConfiguration : IEntityTypeConfiguration<StageEvent>
{
    public void Configure(EntityTypeBuilder<StageEvent> builder)
    {
        builder.ToTable("stage_events");
        builder.HasKey(e => e.Id);
        builder.Property(e => e.Id).UseIdentityAlwaysColumn();
        builder.Property(e => e.TargetType).HasConversion<string>().HasMaxLength(32);
        builder.Property(e => e.Stage).HasConversion<string>().HasMaxLength(32);
        builder.Property(e => e.Actor).HasMaxLength(200);
        builder.Property(e => e.Reason).HasMaxLength(2000);
        // "Latest event of a target" is the hot query: one index scan backwards.
        builder.HasIndex(e => new { e.TargetType, e.TargetId, e.Id });
    }
}
