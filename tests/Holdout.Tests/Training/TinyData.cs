using Holdout.Data;
using Holdout.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace Holdout.Tests.Training;

/// <summary>Tiny synthetic problems for training-loop tests: 2-class blobs in 8 dimensions.</summary>
internal static class TinyData
{
    public static (Tensor X, Tensor Y) Blobs(int count, long seed, bool randomLabels = false)
    {
        NativeRuntime.EnsureInitialized();
        var generator = new torch.Generator((ulong)seed);
        var y = torch.randint(0, 2, [count], generator: generator, dtype: ScalarType.Int64);
        var x = torch.randn([count, 8], generator: generator) + y.unsqueeze(1).to_type(ScalarType.Float32) * 1.5f;
        if (randomLabels) y = torch.randint(0, 2, [count], generator: generator, dtype: ScalarType.Int64);
        return (x, y);
    }

    public static TensorBatchSource Source(int count, long seed, bool shuffle, int batchSize = 16, bool randomLabels = false)
    {
        var (x, y) = Blobs(count, seed, randomLabels);
        using (x) using (y) return new TensorBatchSource(x, y, batchSize, shuffle, seed);
    }

    public static nn.Module<Tensor, Tensor> Model(long seed)
    {
        torch.manual_seed(seed);
        return nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Dropout(0.1), nn.Linear(16, 2));
    }

    public static Holdout.Training.TrainingPhase Phase(nn.Module model, int epochs, double lr = 0.01,
        Holdout.Training.ScheduleKind schedule = Holdout.Training.ScheduleKind.Constant) =>
        new("all", epochs, [new Holdout.Training.ParameterGroup([.. model.parameters()], lr)], schedule);
}
