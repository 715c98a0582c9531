using Holdout.Data;
using Holdout.Distributed;
using Holdout.Imaging;

namespace Holdout.Tests.Distributed;

/// <summary>How a data-parallel job cuts every batch into the ranks' slices, and the loader that loads only its slice.</summary>
public sealed class ShardTests
{
    private static readonly Preprocessing Small = Preprocessing.ImageNetTorchvision(16);

    [Theory]
    [InlineData(32, 2)]
    [InlineData(7, 3)]
    [InlineData(1, 2)]
    [InlineData(5, 8)]
    public void Should_cut_a_batch_into_contiguous_slices_that_cover_it_once(int batch, int ranks)
    {
        // Given a batch and a number of ranks
        // When each rank takes its slice
        var slices = Enumerable.Range(0, ranks).Select(r => new Shard(r, ranks).SliceOf(batch)).ToList();

        // Then the slices follow one another from 0 to the batch's end, and their lengths differ by at most one
        int next = 0;
        foreach (var (start, length) in slices)
        {
            Assert.Equal(next, start);
            next += length;
        }
        Assert.Equal(batch, next);
        Assert.InRange(slices.Max(s => s.Length) - slices.Min(s => s.Length), 0, 1);
    }

    [Fact]
    public void Should_take_the_whole_batch_with_one_rank()
    {
        Assert.Equal((0, 9), Shard.Whole.SliceOf(9));
        Assert.True(Shard.Whole.IsWhole);
        Assert.False(new Shard(1, 2).IsWhole);
    }

    [Theory]
    [InlineData(2, true)]
    [InlineData(3, true)]
    [InlineData(2, false)]
    public void Should_load_each_ranks_slice_of_the_same_batches_as_one_loader(int ranks, bool training)
    {
        // Given 17 small images (batches of 4: the last holds 1, so some ranks get an empty slice of it)
        using var folder = new TempFolder();
        var samples = Enumerable.Range(0, 17).Select(i => new ImageSample(folder.Write($"{i}.jpg", TestImages.Jpeg(i, 30 + i, 24)), i % 2)).ToList();
        BatchLoader Make(Shard? shard)
        {
            var options = new BatchLoaderOptions(BatchSize: 4, Workers: 2, Seed: 7, Augmentation: AugmentationOptions.Standard, Shard: shard);
            return training ? BatchLoader.ForTraining(samples, Small, options) : BatchLoader.ForEvaluation(samples, Small, options);
        }
        var whole = Make(null).RawBatches(1).Select(b => (Images: (float[])b.Images.Clone(), Indices: (int[])b.Indices.Clone(), b.GlobalCount)).ToList();

        // When every rank's loader loads the same epoch
        var perRank = Enumerable.Range(0, ranks).Select(r => Make(new Shard(r, ranks)))
            .Select(l => (l.BatchCount, l.SampleCount, Batches: l.RawBatches(1).Select(b => (Images: (float[])b.Images.Clone(), Indices: (int[])b.Indices.Clone(), b.GlobalCount)).ToList()))
            .ToList();

        // Then each has the job's batch count, and batch by batch the ranks' slices, in rank order, are the whole batch:
        // the same samples with the same pixels (augmentation depends on the sample, not on the rank)
        Assert.All(perRank, r => Assert.Equal((whole.Count, 17), (r.BatchCount, r.SampleCount)));
        Assert.All(perRank, r => Assert.Equal(whole.Count, r.Batches.Count));
        for (int b = 0; b < whole.Count; b++)
        {
            Assert.Equal(whole[b].Indices, perRank.SelectMany(r => r.Batches[b].Indices));
            Assert.Equal(whole[b].Images, perRank.SelectMany(r => r.Batches[b].Images));
            Assert.All(perRank, r => Assert.Equal(whole[b].GlobalCount, r.Batches[b].GlobalCount));
        }
        Assert.Contains(perRank, r => r.Batches[^1].Indices.Length == 0);
    }
}
