using Holdout.Data;
using Holdout.Models;
using Holdout.Runs;
using Holdout.Training;
using static TorchSharp.torch;

namespace Holdout.Tests.Training;

[Collection(NativeCollection.Name)]
public sealed class FeatureCacheTests
{
    [Fact]
    public void Should_run_the_backbone_once_and_give_the_same_batches_whether_or_not_the_cache_is_warm()
    {
        // Given a frozen pretrained backbone and a source of 20 tiny images that counts its passes
        Holdout.Native.NativeRuntime.EnsureInitialized();
        using var model = ModelFactory.Create(new ModelOptions(Architecture.ResNet18, ["a", "b"], 32, ModelOptions.BundledWeights));
        model.FreezeBackbone();
        using var images = randn(20, 3, 32, 32);
        using var labels = tensor(Enumerable.Range(0, 20).Select(i => (long)(i % 2)).ToArray());
        using var inner = new TensorBatchSource(images, labels, 8, shuffle: false);
        var counting = new CountingSource(inner);
        using var cache = new FeatureCache(model, counting, 6, shuffle: true, seed: 3);

        // When five epochs are drawn
        var orders = Enumerable.Range(0, 5).Select(e => cache.Batches(e).SelectMany(b => { using (b) return b.Indices; }).ToList()).ToList();

        // Then the images went through the backbone once, every epoch covers each sample once in a fresh order,
        // and a cold cache (as after --resume) gives epoch 3 exactly the order a warm one did
        Assert.Equal(1, counting.Passes);
        Assert.All(orders, order => Assert.Equal(Enumerable.Range(0, 20), order.Order()));
        Assert.NotEqual(orders[0], orders[1]);
        using var cold = new FeatureCache(model, inner, 6, shuffle: true, seed: 3);
        Assert.Equal(orders[3], cold.Batches(3).SelectMany(b => { using (b) return b.Indices; }));
        using var batch = cold.Batches(0).First();
        Assert.Equal([6L, 512L], batch.Images.shape);
    }

    private sealed class CountingSource(IBatchSource inner) : IBatchSource
    {
        public int Passes { get; private set; }

        public int SampleCount => inner.SampleCount;

        public int BatchCount => inner.BatchCount;

        public IEnumerable<ImageBatch> Batches(int epoch, CancellationToken cancellationToken = default)
        {
            Passes++;
            return inner.Batches(epoch, cancellationToken);
        }
    }
}
