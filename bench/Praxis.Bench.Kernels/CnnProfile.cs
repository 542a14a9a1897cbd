using System.Diagnostics;
using Praxis.Autograd;
using Praxis.Examples;
using Praxis.Kernels;
using Praxis.Models;
using Praxis.Optimizers;

namespace Praxis.Bench.Kernels;

/// <summary>
/// Where a training step of Keras' simple MNIST convnet (examples/MnistCnn, batch 128) spends its time, op by op: the
/// ops the model records, each forward and backward timed on its own, then zeroing and the Adam step. Random inputs in
/// [0, 1] stand in for MNIST (the kernels' cost does not depend on the pixel values, only ReLU/pool sparsity slightly).
///   dotnet Praxis.Bench.Kernels.dll --cnn-profile [--steps 200] [--threads 2]
/// </summary>
public static class CnnProfile
{
    public static void Run(string[] args)
    {
        int steps = Option(args, "--steps", 200);
        KernelPool.NumThreads = Option(args, "--threads", 2);
        const int batch = 128;
        var rng = new Random(42);
        var x = new Tensor(new Shape(batch, 28, 28, 1));
        var xs = x.Span;
        for (int i = 0; i < xs.Length; i++) xs[i] = (float)rng.NextDouble();
        var y = new Tensor(new Shape(batch, 10));
        for (int r = 0; r < batch; r++) y.Span[r * 10 + r % 10] = 1f;
        var model = MnistCnnModel.Build(); // the example's own model (linked source), so the profile times what it trains

        Tensor loss;
        List<Op> ops;
        using (var tape = new Tape())
        {
            var outputs = model.Call([x], training: true);
            loss = model.ComputeCompiledLoss([y], outputs, null, out _);
            ops = tape.Ops;
        }
        var ps = model.TrainableWeights;
        var order = Engine.TopologicalOrder(loss);
        var adam = new Adam();
        var fwd = new double[ops.Count];
        var bwd = new double[ops.Count];
        double adamTicks = 0, zeroTicks = 0, total = 0;
        for (int s = -steps / 5; s < steps; s++) // the first fifth warms the JIT up and is not counted
        {
            long t0 = Stopwatch.GetTimestamp();
            for (int i = 0; i < ops.Count; i++)
            {
                long a = Stopwatch.GetTimestamp();
                ops[i].Forward();
                if (s >= 0) fwd[i] += Stopwatch.GetTimestamp() - a;
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
                if (s >= 0) bwd[ops.IndexOf(op)] += Stopwatch.GetTimestamp() - a;
            }
            long a2 = Stopwatch.GetTimestamp();
            adam.Step(ps);
            if (s >= 0) { adamTicks += Stopwatch.GetTimestamp() - a2; total += Stopwatch.GetTimestamp() - t0; }
        }
        double us(double ticks) => ticks * 1e6 / Stopwatch.Frequency / steps;
        Console.WriteLine($"# cnn step profile: batch={batch} steps={steps} threads={KernelPool.NumThreads} {QuickBench.IsaLine()}");
        for (int i = 0; i < ops.Count; i++)
            Console.WriteLine($"op {i} {ops[i].Name,-20} forward_us={us(fwd[i]),9:F1} backward_us={us(bwd[i]),9:F1}");
        Console.WriteLine($"zero_grad_us={us(zeroTicks):F1} adam_us={us(adamTicks):F1} step_us={us(total):F1} (x469 steps = {us(total) * 469e-6:F2} s/epoch)");
    }

    private static int Option(string[] args, string name, int fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1]) : fallback;
    }
}
