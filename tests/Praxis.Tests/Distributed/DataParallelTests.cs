using Praxis.Callbacks;
using Praxis.Data;
using Praxis.Distributed;
using Praxis.Layers;
using Praxis.Models;
using static Praxis.Keras;

namespace Praxis.Tests.Distributed;

/// <summary>The engine-neutral half of data-parallel training, without MPI: sharding, and the whole Fit path over a group of one.</summary>
[Collection("Global state")]
public class DataParallelTests
{
    private static (Tensor X, Tensor Y) MnistRows(int n)
    {
        var ((x, y), _) = Mnist.LoadData();
        return (x.Reshape(-1, 784).SliceRows(0, n), ToCategorical(y, 10).SliceRows(0, n));
    }

    private static Model SeedModel()
    {
        ClearSession();
        SetRandomSeed(11);
        var inputs = Input(shape: [784]);
        var outputs = new Dense(10, activation: "softmax").Apply(new Dense(64, activation: "relu").Apply(inputs));
        var model = new Model(inputs, outputs);
        model.Compile("adam", "categorical_crossentropy", ["accuracy"]);
        return model;
    }

    [Theory]
    [InlineData(25.0)]   // one bucket, reduced after backward
    [InlineData(0.001)]  // four buckets, two started during backward
    public void OverAGroupOfOneFitEqualsPlainFitExactly(double bucketMB)
    {
        // 1000 samples with a 10% validation split: 900 train = 28 batches of 32 and one of 4, twice.
        var (x, y) = MnistRows(1000);
        var plain = SeedModel();
        var expected = plain.Fit(x, y, epochs: 2, batchSize: 32, verbose: 0, validationSplit: 0.1);

        var model = SeedModel();
        var dp = new DataParallel(new SingleProcessGroup(), bucketSizeMB: bucketMB);
        model.Distribution = dp;
        var actual = model.Fit(x, y, epochs: 2, batchSize: 32, verbose: 0, validationSplit: 0.1);

        Assert.Equal(2 * 29, dp.Steps);
        Assert.Equal(bucketMB > 1 ? 1 : 4, dp.BucketCount);
        Assert.Equal(bucketMB > 1 ? 0 : 2 * dp.Steps, dp.OverlappedBuckets);
        var w0 = plain.GetWeights();
        var w1 = model.GetWeights();
        for (int i = 0; i < w0.Count; i++) Assert.Equal(w0[i], w1[i]); // bit for bit: the same arithmetic in the same order
        foreach (var key in new[] { "loss", "accuracy", "val_loss", "val_accuracy" })
            for (int e = 0; e < 2; e++)
                Assert.True(Math.Abs(expected[key][e] - actual[key][e]) < 1e-6, $"{key} epoch {e}: {expected[key][e]} vs {actual[key][e]}");
    }

    [Fact]
    public void DataParallelStepsAllocateNothing()
    {
        var (x, y) = MnistRows(32 * 130);
        var model = SeedModel();
        model.Distribution = new DataParallel(new SingleProcessGroup(), bucketSizeMB: 0.001);
        var probe = new AllocationProbe(20, 70, 120);
        model.Fit(x, y, epochs: 1, batchSize: 32, verbose: 0, callbacks: [probe]);
        double perStep = probe.PerStep;
        Assert.True(perStep < 16, $"{perStep} bytes allocated per data-parallel step after warm-up");
    }

    [Theory]
    [InlineData(1000, 16, 2)]
    [InlineData(1000, 16, 3)]
    [InlineData(33, 8, 4)]
    [InlineData(3, 4, 4)]
    [InlineData(64, 32, 1)]
    public void RanksTakeDisjointSlicesThatTogetherAreThePlainGlobalBatch(int n, int batchSize, int size)
    {
        long globalBatch = (long)batchSize * size;
        int steps = (int)((n + globalBatch - 1) / globalBatch);
        var seen = new bool[n];
        for (int b = 0; b < steps; b++)
        {
            int next = (int)(b * globalBatch), expectedGlobal = (int)Math.Min(globalBatch, n - b * globalBatch);
            for (int rank = 0; rank < size; rank++)
            {
                var (start, count, global) = DataParallel.Shard(b, batchSize, n, rank, size);
                Assert.Equal(expectedGlobal, global);
                Assert.InRange(count, 0, batchSize);
                Assert.Equal(next, start); // contiguous, in rank order
                for (int i = start; i < start + count; i++)
                {
                    Assert.False(seen[i], $"position {i} given twice");
                    seen[i] = true;
                }
                next += count;
            }
            Assert.Equal(b * globalBatch + expectedGlobal, next);
        }
        Assert.All(seen, Assert.True);
    }

    [Fact]
    public void BadArgumentsAreRejectedWithTheirValue()
    {
        Assert.Throws<ArgumentNullException>(() => new DataParallel(null!));
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new DataParallel(new SingleProcessGroup(), bucketSizeMB: 0));
        Assert.Contains("bucketSizeMB must be positive; got 0", e.Message);
        var g = new SingleProcessGroup();
        Assert.Throws<ArgumentOutOfRangeException>(() => g.Broadcast(new float[3], root: 1));
    }
}
