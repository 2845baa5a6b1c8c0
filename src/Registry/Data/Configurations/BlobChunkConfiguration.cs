using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using ModuleService.Registry.Data.Entities;

namespace ModuleService.Registry.Data.Configurations;

sealed class BlobChunkConfiguration : IEntityTypeConfiguration<BlobChunk>
{
    public void Configure(EntityTypeBuilder<BlobChunk> builder)
    {
        builder.ToTable("blob_chunks");
        builder.HasKey(c => new { c.BlobSha256, c.Index });
        builder.Property(c => c.BlobSha256).HasMaxLength(64);
        builder.HasOne<Blob>().WithMany().HasForeignKey(c => c.BlobSha256).OnDelete(DeleteBehavior.Restrict);
    }
}
