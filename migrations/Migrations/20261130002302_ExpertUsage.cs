using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace ModuleService.Migrations.Migrations
{
    /// <inheritdoc />
    public partial class ExpertUsage : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "expert_usage",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityAlwaysColumn),
                    assembly_id = table.Column<Guid>(type: "uuid", nullable: false),
                    layer = table.Column<int>(type: "integer", nullable: false),
                    kind = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    expert_index = table.Column<int>(type: "integer", nullable: false),
                    module_version_id = table.Column<Guid>(type: "uuid", nullable: false),
                    selections = table.Column<long>(type: "bigint", nullable: false),
                    gate_sum = table.Column<double>(type: "double precision", nullable: false),
                    window_start = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    window_end = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    node = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_expert_usage", x => x.id);
                    table.CheckConstraint("ck_expert_usage_counts", "selections >= 0 AND gate_sum >= 0 AND layer >= 0 AND expert_index >= 0");
                    table.CheckConstraint("ck_expert_usage_kind", "kind IN ('AttentionExpert', 'MlpExpert')");
                    table.CheckConstraint("ck_expert_usage_window", "window_end >= window_start");
                    table.ForeignKey(
                        name: "fk_expert_usage_assemblies_assembly_id",
                        column: x => x.assembly_id,
                        principalTable: "assemblies",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "fk_expert_usage_module_versions_module_version_id",
                        column: x => x.module_version_id,
                        principalTable: "module_versions",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateIndex(
                name: "ix_expert_usage_assembly_id_layer_kind_expert_index",
                table: "expert_usage",
                columns: new[] { "assembly_id", "layer", "kind", "expert_index" });

            migrationBuilder.CreateIndex(
                name: "ix_expert_usage_module_version_id",
                table: "expert_usage",
                column: "module_version_id");

            // Hand-written: append-only like every registry table (see ImmutableRows). The function comes from the
            // Initial migration; ImmutableRows.Tables stays the Initial list because Initial replays it.
            migrationBuilder.Sql("""
                CREATE TRIGGER expert_usage_immutable BEFORE UPDATE OR DELETE ON expert_usage FOR EACH ROW EXECUTE FUNCTION registry_refuse_change();
                CREATE TRIGGER expert_usage_no_truncate BEFORE TRUNCATE ON expert_usage FOR EACH STATEMENT EXECUTE FUNCTION registry_refuse_change();
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            // Dropping the table drops its triggers.
            migrationBuilder.DropTable(
                name: "expert_usage");
        }
    }
}
