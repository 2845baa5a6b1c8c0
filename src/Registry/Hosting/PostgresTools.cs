using System.Diagnostics;
using System.Text;

namespace ModuleService.Registry.Hosting;

/// <summary>Output of one PostgreSQL tool run.</summary>
public sealed record PostgresToolResult(int ExitCode, string Output);

/// <summary>
/// Finds the installed PostgreSQL binaries and runs them. PostgreSQL refuses to run as root, so under root every
/// tool runs as the <c>postgres</c> OS user through <c>runuser</c>, from <c>/</c> (postgres may not enter root's
/// working directory).
/// </summary>
public sealed class PostgresTools
{
    PostgresTools(string binDirectory, bool asRoot) => (BinDirectory, AsRoot) = (binDirectory, asRoot);

    public string BinDirectory { get; }

    /// <summary>True when tools run as the postgres user because this process is root.</summary>
    public bool AsRoot { get; }

    /// <summary><c>$PG_BIN</c>, else the highest <c>/usr/lib/postgresql/*/bin</c> that has <c>initdb</c>.</summary>
    public static PostgresTools Locate()
    {
        var bin = Environment.GetEnvironmentVariable("PG_BIN");
        if (string.IsNullOrEmpty(bin))
        {
            bin = Directory.Exists("/usr/lib/postgresql")
                ? Directory.GetDirectories("/usr/lib/postgresql")
                    .Select(d => (Dir: Path.Combine(d, "bin"), Version: double.TryParse(Path.GetFileName(d), System.Globalization.CultureInfo.InvariantCulture, out var v) ? v : 0))
                    .Where(c => File.Exists(Path.Combine(c.Dir, "initdb")))
                    .OrderByDescending(c => c.Version).Select(c => c.Dir).FirstOrDefault()
                : null;
        }
        if (bin is null || !File.Exists(Path.Combine(bin, "initdb")))
            throw new InvalidOperationException(
                "PostgreSQL binaries not found: set PG_BIN or install them (scripts/setup.sh, or apt-get install -y postgresql)");
        return new PostgresTools(bin, Environment.IsPrivilegedProcess);
    }

    /// <summary>
    /// Runs <paramref name="tool"/> and returns its exit code and output. Output is collected by events and the exit
    /// is polled, never awaited to end-of-stream: the server started by <c>pg_ctl start</c> inherits the pipe and keeps
    /// it open, so reading to EOF would hang.
    /// </summary>
    public async Task<PostgresToolResult> RunAsync(string tool, IReadOnlyList<string> arguments, TimeSpan timeout, CancellationToken ct)
    {
        var info = new ProcessStartInfo
        {
            WorkingDirectory = "/",
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (AsRoot)
        {
            info.FileName = "runuser";
            foreach (var a in new[] { "-u", "postgres", "--", Path.Combine(BinDirectory, tool) }) info.ArgumentList.Add(a);
        }
        else
        {
            info.FileName = Path.Combine(BinDirectory, tool);
        }
        foreach (var a in arguments) info.ArgumentList.Add(a);
        info.Environment["LC_ALL"] = "C";

        var output = new StringBuilder();
        using var process = new Process { StartInfo = info };
        DataReceivedEventHandler collect = (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.OutputDataReceived += collect;
        process.ErrorDataReceived += collect;
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow + timeout;
        while (!process.HasExited)
        {
            if (DateTime.UtcNow > deadline || ct.IsCancellationRequested)
            {
                process.Kill();
                ct.ThrowIfCancellationRequested();
                throw new TimeoutException($"{tool} did not finish within {timeout}: {Snapshot(output)}");
            }
            await Task.Delay(25, CancellationToken.None);
        }
        // A finite wait lets the last output lines arrive without waiting for EOF.
        process.WaitForExit(200);
        return new PostgresToolResult(process.ExitCode, Snapshot(output));
    }

    /// <summary>Gives a directory to the postgres user (root only; a normal user already owns what it creates).</summary>
    public async Task ChownAsync(string path, CancellationToken ct)
    {
        if (!AsRoot) return;
        using var process = Process.Start(new ProcessStartInfo("chown", ["postgres:postgres", path]) { UseShellExecute = false })!;
        await process.WaitForExitAsync(ct);
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"chown postgres:postgres {path} failed (exit {process.ExitCode}); is there a 'postgres' OS user?");
    }

    static string Snapshot(StringBuilder output)
    {
        lock (output) return output.ToString().Trim();
    }
}
