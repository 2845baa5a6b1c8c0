using ModuleService.Api.Assemblies;
using ModuleService.Api.Audit;
using ModuleService.Api.Auth;
using ModuleService.Api.Health;
using ModuleService.Api.Hosting;
using ModuleService.Api.Imports;
using ModuleService.Api.Infrastructure;
using ModuleService.Api.Keys;
using ModuleService.Api.Modules;
using ModuleService.Registry;

var builder = WebApplication.CreateBuilder(args);
builder.WebHost.UseUrlsIfUnset("http://localhost:5080");
builder.Services.AddModuleServiceHosting();
builder.Services.AddRegistry();
builder.Services.AddApiKeyAuth();
builder.Services.AddModuleServiceProblemDetails();
builder.Services.AddModuleServiceOpenApi();
builder.Services.AddModuleServiceJobs(builder.Configuration);

var app = builder.Build();
await app.StartEmbeddedPostgresIfNoConnectionStringAsync();
await app.Services.MigrateRegistryAsync();

app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseAuthentication();
app.UseAuthorization();
app.UseModuleServiceOpenApi();
app.MapHealth();
app.MapImports();
app.MapAssemblies();
app.MapModules();
app.MapKeys();
app.MapAudit();
app.Run();
