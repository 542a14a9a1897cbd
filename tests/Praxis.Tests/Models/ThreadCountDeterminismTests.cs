using Praxis.Kernels;
using Praxis.Layers;
using Praxis.Models;
using Praxis.Tests.Kernels;
using static Praxis.Keras;

namespace Praxis.Tests.Models;

/// <summary>
/// Training gives the same bits whatever <see cref="KernelPool.NumThreads"/> is (docs/ARCHITECTURE.md, "Threading"), so a
/// run resumed with another <c>--threads</c> continues exactly as it would have.
/// </summary>
[Collection(KernelPoolCollection.Name)]
public class ThreadCountDeterminismTests
{
    private static float[][] Train(int threads, string variant = "all")
    {
        int saved = KernelPool.NumThreads;
        KernelPool.NumThreads = threads;
        try
        {
            ClearSession();
            SetRandomSeed(17);
            // 16×16×4 images: 13 samples per im2col chunk, so a batch of 64 is 5 chunks; the old lane count (two per
            // thread) cut them into 2 lanes on one thread and 5 on three, regrouping the weight-gradient sums.
            var inputs = Input(shape: [16, 16, 4]);
            SymbolicTensor x = inputs;
            if (variant is "all" or "conv") x = new Conv2D(8, 3, activation: "relu").Apply(x);
            if (variant is "all" or "gn") x = new GroupNormalization(groups: 4).Apply(x);
            if (variant is "all" or "dw") x = new DepthwiseConv2D(3, activation: "relu").Apply(x);
            if (variant is "all" or "convt") x = new Conv2DTranspose(4, 3, strides: 2).Apply(x);
            if (variant is "all" or "pool") x = new MaxPooling2D(2).Apply(x);
            x = new Dense(16, activation: "relu").Apply(new Flatten().Apply(x));
            var model = new Model(inputs, new Dense(3, activation: "softmax").Apply(x));
            model.Compile("adam", "sparse_categorical_crossentropy");
            var rng = new Rng(5);
            var images = Tensor.RandomUniform(new Shape(64, 16, 16, 4), 0, 1, rng);
            var labels = Tensor.FromArray(Enumerable.Range(0, 64).Select(i => (float)(i % 3)).ToArray(), 64);
            for (int step = 0; step < 3; step++) model.TrainOnBatch(images, labels);
            return [.. model.GetWeights()];
        }
        finally
        {
            KernelPool.NumThreads = saved;
        }
    }

    [Theory]
    [InlineData("dense")] [InlineData("conv")] [InlineData("gn")] [InlineData("dw")] [InlineData("convt")] [InlineData("pool")] [InlineData("all")]
    public void TrainingIsBitIdenticalOnOneAndOnThreeThreads(string variant)
    {
        var one = Train(1, variant);
        var three = Train(3, variant);
        Assert.Equal(one.Length, three.Length);
        for (int i = 0; i < one.Length; i++)
            for (int j = 0; j < one[i].Length; j++)
                Assert.True(BitConverter.SingleToInt32Bits(one[i][j]) == BitConverter.SingleToInt32Bits(three[i][j]),
                    $"weight {i}[{j}]: {one[i][j]:R} on 1 thread, {three[i][j]:R} on 3");
    }
}
