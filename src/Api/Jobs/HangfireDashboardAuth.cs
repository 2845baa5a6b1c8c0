using Hangfire;
using Hangfire.Dashboard;
using Microsoft.AspNetCore.Authentication;
using ModuleService.Api.Auth;
using ModuleService.Registry.Keys;

namespace ModuleService.Api.Jobs;

public static class HangfireDashboardExtensions
{
    /// <summary>Hangfire's dashboard at /hangfire, admin keys only.</summary>
    public static WebApplication UseAdminHangfireDashboard(this WebApplication app)
    {
        app.UseHangfireDashboard("/hangfire", new DashboardOptions { AsyncAuthorization = [new HangfireDashboardAuth()] });
        return app;
    }
}

/// <summary>The Hangfire dashboard takes the same API keys as the REST API and only admits admin keys.</summary>
public sealed class HangfireDashboardAuth : IDashboardAsyncAuthorizationFilter
{
    public async Task<bool> AuthorizeAsync(DashboardContext context)
    {
        var http = context.GetHttpContext();
        var result = await http.AuthenticateAsync(ApiKeyAuthenticationHandler.SchemeName);
        return result.Succeeded && result.Principal.HasScope(ApiScopes.Admin);
    }
}
