using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace ModuleService.Migrations.Migrations
{
    /// <inheritdoc />
    public partial class KeyRateLimits : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "api_key_limits",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityAlwaysColumn),
                    key_id = table.Column<Guid>(type: "uuid", nullable: false),
                    requests_per_minute = table.Column<int>(type: "integer", nullable: true),
                    tokens_per_minute = table.Column<int>(type: "integer", nullable: true),
                    set_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    set_by = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_api_key_limits", x => x.id);
                    table.CheckConstraint("ck_api_key_limits_requests_per_minute", "requests_per_minute >= 0");
                    table.CheckConstraint("ck_api_key_limits_tokens_per_minute", "tokens_per_minute >= 0");
                    table.ForeignKey(
                        name: "fk_api_key_limits_api_keys_key_id",
                        column: x => x.key_id,
                        principalTable: "api_keys",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateIndex(
                name: "ix_api_key_limits_key_id_id",
                table: "api_key_limits",
                columns: new[] { "key_id", "id" },
                descending: new[] { false, true });

            // Hand-written: keys are immutable, so their limits are an append-only history too (see ImmutableRows).
            migrationBuilder.Sql(ImmutableRows.Protect("api_key_limits"));
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            // Dropping the table drops its triggers.
            migrationBuilder.DropTable(
                name: "api_key_limits");
        }
    }
}
