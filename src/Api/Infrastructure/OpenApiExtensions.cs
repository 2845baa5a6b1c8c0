using Microsoft.OpenApi;

namespace ModuleService.Api.Infrastructure;

/// <summary>OpenAPI document and Swagger UI at /swagger, with the API key usable from the UI.</summary>
public static class OpenApiExtensions
{
    public static IServiceCollection AddModuleServiceOpenApi(this IServiceCollection services)
    {
        services.AddEndpointsApiExplorer();
        services.AddSwaggerGen(options =>
        {
            options.SwaggerDoc("v1", new OpenApiInfo
            {
                Title = "ModuleService",
                Version = "v1",
                Description = "Registry, assembly and serving of modular ModuleFormer language models. " +
                              "Send an API key as `Authorization: Bearer <key>`; scopes: read, infer, train, admin.",
            });
            options.AddSecurityDefinition("Bearer", new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                Description = "An API key created through /v1/keys (or the bootstrap admin key).",
            });
            options.AddSecurityRequirement(document => new OpenApiSecurityRequirement
            {
                [new OpenApiSecuritySchemeReference("Bearer", document)] = [],
            });
            var xml = Path.Combine(AppContext.BaseDirectory, "ModuleService.Api.xml");
            if (File.Exists(xml)) options.IncludeXmlComments(xml);
        });
        return services;
    }

    public static WebApplication UseModuleServiceOpenApi(this WebApplication app)
    {
        app.UseSwagger();
        app.UseSwaggerUI(options =>
        {
            options.SwaggerEndpoint("/swagger/v1/swagger.json", "ModuleService v1");
            options.RoutePrefix = "swagger";
            options.EnablePersistAuthorization();
        });
        return app;
    }
}
