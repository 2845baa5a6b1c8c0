using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace ModuleService.Registry.Jobs;

sealed class JobRunConfiguration : IEntityTypeConfiguration<JobRun>
{
    public void Configure(EntityTypeBuilder<JobRun> builder)
    {
        builder.ToTable("job_runs");
        builder.HasKey(j => j.Id);
        builder.Property(j => j.Type).HasMaxLength(32);
        builder.Property(j => j.Parameters).HasColumnType("jsonb");
        builder.Property(j => j.Artifacts).HasColumnType("jsonb");
        builder.Property(j => j.Status).HasConversion<string>().HasMaxLength(16);
        builder.Property(j => j.CreatedBy).HasMaxLength(200);
        builder.Property(j => j.HangfireJobId).HasMaxLength(64);
        builder.Property(j => j.Worker).HasMaxLength(200);
        builder.HasIndex(j => new { j.Status, j.CreatedAt });
        builder.HasIndex(j => j.Type);
    }
}

sealed class JobEventConfiguration : IEntityTypeConfiguration<JobEvent>
{
    public void Configure(EntityTypeBuilder<JobEvent> builder)
    {
        builder.ToTable("job_events");
        builder.HasKey(e => e.Id);
        builder.Property(e => e.Id).UseIdentityAlwaysColumn();
        builder.Property(e => e.Kind).HasMaxLength(32);
        builder.Property(e => e.Data).HasColumnType("jsonb");
        builder.HasOne<JobRun>().WithMany().HasForeignKey(e => e.JobId);
        builder.HasIndex(e => new { e.JobId, e.Id });
    }
}

sealed class JobCheckpointConfiguration : IEntityTypeConfiguration<JobCheckpoint>
{
    public void Configure(EntityTypeBuilder<JobCheckpoint> builder)
    {
        builder.ToTable("job_checkpoints");
        builder.HasKey(c => c.Id);
        builder.Property(c => c.Id).UseIdentityAlwaysColumn();
        builder.Property(c => c.BlobSha256).HasMaxLength(64);
        builder.HasOne<JobRun>().WithMany().HasForeignKey(c => c.JobId);
        builder.HasIndex(c => new { c.JobId, c.Step });
    }
}

sealed class JobArtifactConfiguration : IEntityTypeConfiguration<JobArtifact>
{
    public void Configure(EntityTypeBuilder<JobArtifact> builder)
    {
        builder.ToTable("job_artifacts");
        builder.HasKey(a => a.Id);
        builder.Property(a => a.Id).UseIdentityAlwaysColumn();
        builder.Property(a => a.Name).HasMaxLength(200);
        builder.Property(a => a.ContentType).HasMaxLength(100);
        builder.Property(a => a.BlobSha256).HasMaxLength(64);
        builder.HasOne<JobRun>().WithMany().HasForeignKey(a => a.JobId);
        builder.HasIndex(a => new { a.JobId, a.Name }).IsUnique();
    }
}
