using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using ModuleService.Registry.Data.Entities;

namespace ModuleService.Registry.Data.Configurations;

sealed class DatasetConfiguration : IEntityTypeConfiguration<Dataset>
{
    public void Configure(EntityTypeBuilder<Dataset> builder)
    {
        builder.ToTable("datasets", table =>
        {
            table.HasCheckConstraint("ck_datasets_counts", "bytes >= 0 AND documents >= 0");
            table.HasCheckConstraint("ck_datasets_format", "format IN ('Text', 'Jsonl')");
        });
        builder.HasKey(d => d.Id);
        builder.Property(d => d.Name).HasMaxLength(100);
        builder.Property(d => d.Format).HasConversion<string>().HasMaxLength(16);
        builder.Property(d => d.Sha256).HasMaxLength(64);
        builder.Property(d => d.CreatedBy).HasMaxLength(200);
        builder.HasOne<Blob>().WithMany().HasForeignKey(d => d.Sha256).OnDelete(DeleteBehavior.Restrict);
        builder.HasIndex(d => d.Name).IsUnique();
        // Same bytes in the same format are the same dataset: a re-upload finds it here (and races end here).
        builder.HasIndex(d => new { d.Sha256, d.Format }).IsUnique();
    }
}
