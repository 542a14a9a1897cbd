using System.Diagnostics;
using Praxis.Autograd;
using Praxis.Kernels;
using Praxis.Optimizers;

namespace Praxis.Bench.Kernels;

/// <summary>
/// The timing loop behind --seed-profile and --cnn-profile: replays a recorded training step op by op (each forward,
/// the gradient zeroing, each backward, the Adam step), timing each on its own, and prints means and medians in µs.
/// The first fifth of the steps warms the JIT up and is not counted.
/// </summary>
public static class StepProfiler
{
    /// <summary>Times <paramref name="steps"/> replays of the step recorded in <paramref name="ops"/> and prints them.</summary>
    public static void Run(string title, List<Op> ops, Tensor loss, IReadOnlyList<Tensor> ps, int steps, int stepsPerEpoch = 0)
    {
        var order = Engine.TopologicalOrder(loss);
        var adam = new Adam();
        // Per-step samples: under load from other processes the median is steadier than the mean.
        var fwd = new double[ops.Count, steps];
        var bwd = new double[ops.Count, steps];
        var zero = new double[steps];
        var adamS = new double[steps];
        var total = new double[steps];
        for (int s = -steps / 5; s < steps; s++)
        {
            long t0 = Stopwatch.GetTimestamp();
            for (int i = 0; i < ops.Count; i++)
            {
                long a = Stopwatch.GetTimestamp();
                ops[i].Forward();
                if (s >= 0) fwd[i, s] = Stopwatch.GetTimestamp() - a;
            }
            long z0 = Stopwatch.GetTimestamp();
            adam.ZeroGrad(ps);
            for (int i = 0; i < order.Count; i++) order[i].Output.Grad?.Zero();
            loss.Grad ??= new Tensor(loss.Shape);
            loss.Grad.Span[0] = 1f;
            if (s >= 0) zero[s] = Stopwatch.GetTimestamp() - z0;
            for (int i = order.Count - 1; i >= 0; i--)
            {
                var op = order[i];
                if (op.Output.Grad == null) continue;
                long a = Stopwatch.GetTimestamp();
                op.Backward();
                if (s >= 0) bwd[ops.IndexOf(op), s] = Stopwatch.GetTimestamp() - a;
            }
            long a2 = Stopwatch.GetTimestamp();
            adam.Step(ps);
            if (s >= 0)
            {
                long end = Stopwatch.GetTimestamp();
                adamS[s] = end - a2;
                total[s] = end - t0;
            }
        }
        Console.WriteLine($"# {title} step profile: steps={steps} threads={KernelPool.NumThreads} {QuickBench.IsaLine()}");
        for (int i = 0; i < ops.Count; i++)
        {
            double[] f = Row(fwd, i), b = Row(bwd, i);
            Console.WriteLine($"op {i} {ops[i].Name,-20} forward_us={Mean(f),9:F2} backward_us={Mean(b),9:F2} median_forward_us={Median(f),9:F2} median_backward_us={Median(b),9:F2}");
        }
        string epoch = stepsPerEpoch > 0 ? $" (x{stepsPerEpoch} steps = {Mean(total) * stepsPerEpoch * 1e-6:F2} s/epoch)" : "";
        Console.WriteLine($"zero_grad_us={Mean(zero):F2} adam_us={Mean(adamS):F2} step_us={Mean(total):F2} median_adam_us={Median(adamS):F2} median_step_us={Median(total):F2}{epoch}");
    }

    /// <summary>An integer option <c>--name N</c>, or the fallback.</summary>
    public static int Option(string[] args, string name, int fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1]) : fallback;
    }

    private static double[] Row(double[,] a, int i)
    {
        var r = new double[a.GetLength(1)];
        for (int j = 0; j < r.Length; j++) r[j] = a[i, j];
        return r;
    }

    private static double Mean(double[] ticks)
    {
        double sum = 0;
        foreach (var t in ticks) sum += t;
        return sum * 1e6 / Stopwatch.Frequency / ticks.Length;
    }

    private static double Median(double[] ticks)
    {
        var sorted = (double[])ticks.Clone();
        Array.Sort(sorted);
        return sorted[sorted.Length / 2] * 1e6 / Stopwatch.Frequency;
    }
}
