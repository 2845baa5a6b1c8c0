using System.ComponentModel.DataAnnotations;

namespace ModuleService.Api.Hosting;

/// <summary>The <c>Hangfire</c> section: how workers take jobs from the shared PostgreSQL queue.</summary>
public sealed class HangfireOptions
{
    public const string SectionName = "Hangfire";

    /// <summary>How often an idle worker looks for new jobs.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:10:00")]
    public TimeSpan QueuePollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// A worker renews its claim on a running job every fifth of this; a job whose worker died (claim not renewed
    /// for this long) goes to the next worker, which resumes it from its last checkpoint. Long jobs are safe with a
    /// short value because the claim slides while the worker lives.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan InvisibilityTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Training jobs run at once per process; 0 = half the cores (each trains on torch threads).</summary>
    [Range(0, 256)]
    public int TrainingWorkers { get; set; }

    /// <summary>Light jobs (token counts, evaluation, import) at once per process, beside the training ones.</summary>
    [Range(1, 256)]
    public int LightWorkers { get; set; } = 2;
}
