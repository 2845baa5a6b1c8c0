using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using ModuleService.Registry.Data.Entities;

namespace ModuleService.Registry.Data.Configurations;

sealed class DatasetStatisticConfiguration : IEntityTypeConfiguration<DatasetStatistic>
{
    public void Configure(EntityTypeBuilder<DatasetStatistic> builder)
    {
        builder.ToTable("dataset_statistics", table => table.HasCheckConstraint("ck_dataset_statistics_tokens", "tokens >= 0"));
        builder.HasKey(s => s.Id);
        builder.Property(s => s.Id).UseIdentityAlwaysColumn();
        builder.Property(s => s.Tokenizer).HasMaxLength(200);
        builder.HasOne<Dataset>().WithMany().HasForeignKey(s => s.DatasetId).OnDelete(DeleteBehavior.Restrict);
        // "Latest count per tokenizer" reads backwards along this index.
        builder.HasIndex(s => new { s.DatasetId, s.Tokenizer, s.Id });
    }
}
