using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using Xunit.Abstractions;

namespace ModuleService.Api.Tests.Support;

/// <summary>The API (role both: HTTP and Hangfire worker) as a child process of the test, on a loopback port.</summary>
public sealed class AppProcess : IAsyncDisposable
{
    readonly Process process;
    readonly Uri address;
    readonly ConcurrentQueue<string> lines = new();

    /// <summary>What the app wrote to stdout and stderr (warnings and up), for tests that check what it logged.</summary>
    public IReadOnlyCollection<string> Lines => lines;

    AppProcess(Process process, Uri address) => (this.process, this.address) = (process, address);

    /// <param name="connectionString">null: the app runs its own embedded PostgreSQL (set ModuleService__DataDirectory in <paramref name="environment"/>).</param>
    /// <param name="environment">more environment variables, e.g. <c>ModuleService__Role</c>.</param>
    public static async Task<AppProcess> StartAsync(string? connectionString, string key, string cacheDirectory, ITestOutputHelper output,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var address = new Uri($"http://127.0.0.1:{FreePort()}");
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "ModuleService.Api.dll"));
        info.ArgumentList.Add("--urls");
        info.ArgumentList.Add(address.ToString());
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Testing";
        if (connectionString is not null) info.Environment["ConnectionStrings__Registry"] = connectionString;
        info.Environment["Auth__BootstrapAdminKey"] = key;
        info.Environment["Registry__CacheDirectory"] = cacheDirectory;
        info.Environment["Hangfire__QueuePollInterval"] = "00:00:00.200";
        // A dead worker's job is handed on after this; a live worker's claim slides, so short is safe.
        info.Environment["Hangfire__InvisibilityTimeout"] = "00:00:03";
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        info.Environment["DefaultModel__Enabled"] = "false";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) info.Environment[name] = value;
        var process = Process.Start(info)!;
        var app = new AppProcess(process, address);
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) app.Log(output, e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) app.Log(output, e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var probe = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(120);
        while (true)
        {
            if (process.HasExited) throw new InvalidOperationException($"the API exited with code {process.ExitCode} before it was ready");
            try
            {
                if ((await probe.GetAsync("/readyz")).IsSuccessStatusCode) return app;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            if (DateTime.UtcNow > deadline)
            {
                await app.DisposeAsync();
                throw new TimeoutException("the API was not ready within 120 s");
            }
            await Task.Delay(200);
        }
    }

    void Log(ITestOutputHelper output, string line)
    {
        lines.Enqueue(line);
        try { output.WriteLine("[app] " + line); }
        catch (InvalidOperationException) { /* the test has ended */ }
    }

    public HttpClient Client(string key)
    {
        var client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    /// <summary>SIGKILL: no shutdown hooks, no requeue, no lock release by the process itself.</summary>
    public void Kill()
    {
        process.Kill(entireProcessTree: true);
        process.WaitForExit();
    }

    static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
        process.Dispose();
    }
}
