using Praxis.Autograd;
using Praxis.Kernels;
using Praxis.Optimizers;

namespace Praxis.Bench.Kernels;

/// <summary>
/// Where a seed-MLP training step spends its time, op by op: the ops Fit records for Input(784) → Dense(64, relu) →
/// Dense(10, softmax) with categorical cross-entropy at batch 32 (LinearRelu, Linear, Softmax, SoftmaxCrossEntropy),
/// each op's forward and backward timed on its own, then the Adam step. Run it under each ISA variable one after the
/// other (same minute) and compare the columns: the ratio per op says which kernel the narrower path lacks.
///   dotnet Praxis.Bench.Kernels.dll --seed-profile [--steps 3000] [--threads 2]
/// </summary>
public static class SeedProfile
{
    public static void Run(string[] args)
    {
        int steps = StepProfiler.Option(args, "--steps", 3000);
        KernelPool.NumThreads = StepProfiler.Option(args, "--threads", 2);
        var rng = new Random(42);
        Tensor Rand(params int[] shape)
        {
            var t = new Tensor(new Shape(shape));
            var s = t.Span;
            for (int i = 0; i < s.Length; i++) s[i] = (float)(rng.NextDouble() - 0.5) * 0.1f;
            return t;
        }
        var x = Rand(32, 784);
        var y = new Tensor(new Shape(32, 10));
        for (int r = 0; r < 32; r++) y.Span[r * 10 + r % 10] = 1f;
        var w1 = Rand(784, 64); var b1 = Rand(64); var w2 = Rand(64, 10); var b2 = Rand(10);
        Tensor[] ps = [w1, b1, w2, b2];
        foreach (var p in ps) p.RequiresGrad = true;

        Tensor loss;
        List<Op> ops;
        using (var tape = new Tape())
        {
            var h = Tensor.Linear(x, w1, b1, relu: true);
            var z = Tensor.Linear(h, w2, b2);
            _ = z.Softmax(); // y_pred, which the metrics read
            loss = Tensor.SoftmaxCrossEntropy(z, y);
            ops = tape.Ops;
        }
        StepProfiler.Run("seed", ops, loss, ps, steps);
    }
}
