using BenchmarkDotNet.Running;
using Praxis.Bench.Kernels;

// --isa-info: the SIMD paths in use, one line.
// --quick [--threads N] [--isa Avx512|Vector256|Scalar] [--samples N] [--sample-ms N] [--sizes 256,1024,seed]: Stopwatch medians, one line per shape.
// --seed-profile [--steps N] [--threads N]: the seed MLP's training step, time per op (compare across ISA variables).
// --cnn-profile [--steps N] [--threads N]: the MNIST convnet's training step (batch 128), time per op.
// Anything else goes to BenchmarkDotNet, e.g. --filter '*Sgemm*'.
if (args.Contains("--isa-info"))
{
    Console.WriteLine(QuickBench.IsaLine());
    return;
}
// --record: ns per recorded eager op, with and without NoGrad scopes open (the AsyncLocal fast path).
if (args.Contains("--record"))
{
    RecordBench.Run(args);
    return;
}
if (args.Contains("--seed-profile"))
{
    SeedProfile.Run(args);
    return;
}
if (args.Contains("--cnn-profile"))
{
    CnnProfile.Run(args);
    return;
}
if (args.Contains("--quick"))
{
    QuickBench.Run(args);
    return;
}
BenchmarkSwitcher.FromAssembly(typeof(SgemmBenchmarks).Assembly).Run(args);
