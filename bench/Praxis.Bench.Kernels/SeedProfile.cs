using System.Diagnostics;
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
        int steps = Option(args, "--steps", 3000);
        KernelPool.NumThreads = Option(args, "--threads", 2);
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
        var order = Engine.TopologicalOrder(loss);
        var adam = new Adam();
        var fwd = new double[ops.Count];
        var bwd = new double[ops.Count];
        double adamTicks = 0, zeroTicks = 0, total = 0;
        // Per-step samples too: under load from other processes the median is steadier than the mean.
        var fwdS = new double[ops.Count, steps];
        var bwdS = new double[ops.Count, steps];
        var adamS = new double[steps];
        var totalS = new double[steps];
        for (int s = -steps / 5; s < steps; s++) // the first fifth warms the JIT up and is not counted
        {
            long t0 = Stopwatch.GetTimestamp();
            for (int i = 0; i < ops.Count; i++)
            {
                long a = Stopwatch.GetTimestamp();
                ops[i].Forward();
                if (s >= 0) { long d = Stopwatch.GetTimestamp() - a; fwd[i] += d; fwdS[i, s] = d; }
            }
            long z0 = Stopwatch.GetTimestamp();
            adam.ZeroGrad(ps);
            for (int i = 0; i < order.Count; i++) order[i].Output.Grad?.Zero();
            loss.Grad ??= new Tensor(loss.Shape);
            loss.Grad.Span[0] = 1f;
            if (s >= 0) zeroTicks += Stopwatch.GetTimestamp() - z0;
            for (int i = order.Count - 1; i >= 0; i--)
            {
                var op = order[i];
                if (op.Output.Grad == null) continue;
                long a = Stopwatch.GetTimestamp();
                op.Backward();
                if (s >= 0) { long d = Stopwatch.GetTimestamp() - a; int j = ops.IndexOf(op); bwd[j] += d; bwdS[j, s] = d; }
            }
            long a2 = Stopwatch.GetTimestamp();
            adam.Step(ps);
            if (s >= 0)
            {
                long end = Stopwatch.GetTimestamp();
                adamTicks += end - a2; total += end - t0;
                adamS[s] = end - a2; totalS[s] = end - t0;
            }
        }
        double us(double ticks) => ticks * 1e6 / Stopwatch.Frequency / steps;
        double med(double[] ticks) { Array.Sort(ticks); return ticks[ticks.Length / 2] * 1e6 / Stopwatch.Frequency; }
        double[] row(double[,] a, int i) { var r = new double[steps]; for (int j = 0; j < steps; j++) r[j] = a[i, j]; return r; }
        Console.WriteLine($"# seed step profile: steps={steps} threads={KernelPool.NumThreads} {QuickBench.IsaLine()}");
        for (int i = 0; i < ops.Count; i++)
            Console.WriteLine($"op {i} {ops[i].Name,-20} forward_us={us(fwd[i]),8:F2} backward_us={us(bwd[i]),8:F2} median_forward_us={med(row(fwdS, i)),8:F2} median_backward_us={med(row(bwdS, i)),8:F2}");
        Console.WriteLine($"zero_grad_us={us(zeroTicks):F2} adam_us={us(adamTicks):F2} step_us={us(total):F2} median_adam_us={med(adamS):F2} median_step_us={med(totalS):F2}");
    }

    private static int Option(string[] args, string name, int fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1]) : fallback;
    }
}
