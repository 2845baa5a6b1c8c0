using Xunit;
using static TorchSharp.torch;

namespace ModuleService.Model.Tests.Training;

/// <summary>
/// The training tests run alone (no other collection in parallel) on one libtorch thread. Tiny steps are mostly
/// per-op overhead, and on a busy 2-core machine two OpenMP threads spin-wait for each other: a step measured
/// 12–25× slower than with one thread. Running alone means the process-wide thread count changes under no one else.
/// </summary>
[CollectionDefinition(TrainingTestData.Collection, DisableParallelization = true)]
public sealed class TrainingCollection : ICollectionFixture<SingleThreadFixture>;

/// <summary>Sets one intra-op thread for the collection and restores the previous count afterwards.</summary>
public sealed class SingleThreadFixture : IDisposable
{
    private readonly int previous = get_num_threads();

    public SingleThreadFixture() => set_num_threads(1);

    public void Dispose() => set_num_threads(previous);
}
