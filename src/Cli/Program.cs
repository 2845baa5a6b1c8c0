using System.Text;
using ModuleService.Cli;

// stdout is buffered (score prints megabytes of numbers); commands flush when they stream.
var stdout = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), 1 << 16);
using var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    // First Ctrl+C stops generation cleanly; a second one kills the process as usual.
    if (cancellation.IsCancellationRequested) return;
    e.Cancel = true;
    cancellation.Cancel();
};
int exitCode = CliApp.Run(args, stdout, Console.Error, cancellation.Token);
stdout.Flush();
return exitCode;
