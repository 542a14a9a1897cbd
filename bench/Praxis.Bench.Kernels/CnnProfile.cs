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
        int steps = StepProfiler.Option(args, "--steps", 200);
        KernelPool.NumThreads = StepProfiler.Option(args, "--threads", 2);
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
        StepProfiler.Run("cnn", ops, loss, ps, steps, stepsPerEpoch: 469);
    }
}
