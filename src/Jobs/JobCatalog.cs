using Microsoft.Extensions.DependencyInjection;
using System.Text.Json;

namespace ModuleService.Jobs;

/// <summary>What a job type needs: the scope to submit it, its Hangfire queue, and its handler.</summary>
public sealed record JobType(string Name, string Scope, string Queue, Type Handler, bool Trains);

/// <summary>A job's body. Handlers are reentrant: a job whose worker died runs again and resumes from its checkpoint.</summary>
public interface IJobHandler
{
    /// <summary>Checks the parameters at submission; errors name the field. Nothing is queued when this throws.</summary>
    Task ValidateAsync(JsonElement parameters, IServiceProvider services, CancellationToken ct);

    Task RunAsync(JobContext context, CancellationToken ct);
}

/// <summary>A submitted job's parameters are wrong: answered 400 (or 404/422 when the registry says so).</summary>
public sealed class JobParameterException(string field, string message) : Exception(message)
{
    public string Field { get; } = field;
}

public sealed class JobCatalog
{
    public const string TrainingQueue = "training";
    public const string LightQueue = "default";

    readonly Dictionary<string, JobType> types = new(StringComparer.Ordinal);

    public JobCatalog Add<THandler>(string name, string scope, bool trains) where THandler : IJobHandler
    {
        types[name] = new JobType(name, scope, trains ? TrainingQueue : LightQueue, typeof(THandler), trains);
        return this;
    }

    public IReadOnlyCollection<JobType> Types => types.Values;

    public JobType Get(string name) => types.TryGetValue(name, out var type) ? type
        : throw new JobParameterException("type", $"unknown job type '{name}'; known: {string.Join(", ", types.Keys.Order())}");
}
