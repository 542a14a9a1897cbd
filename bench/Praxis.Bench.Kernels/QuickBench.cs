using System.Diagnostics;
using Praxis.Kernels;

namespace Praxis.Bench.Kernels;

/// <summary>
/// Plain Stopwatch timing for fast A/B comparisons: per shape, warm up, then take <c>samples</c> timings of a batch
/// of calls lasting about <c>sampleMs</c> each and print the median GFLOP/s (with min and max) on one line.
/// </summary>
public static class QuickBench
{
    /// <summary>The instruction sets the runtime uses here, and the paths Praxis takes on them.</summary>
    public static string IsaLine() =>
        $"arch={System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture} " +
        $"Vector512={System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated} Vector256={System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated} " +
        $"Vector128={System.Runtime.Intrinsics.Vector128.IsHardwareAccelerated} Fma={System.Runtime.Intrinsics.X86.Fma.IsSupported} " +
        $"AdvSimd={System.Runtime.Intrinsics.Arm.AdvSimd.IsSupported} gemm_isa={Gemm.BestIsa} simd_path={Simd.Path}";

    public static void Run(string[] args)
    {
        int threads = IntOption(args, "--threads", Environment.ProcessorCount);
        int samples = IntOption(args, "--samples", 7);
        int sampleMs = IntOption(args, "--sample-ms", 200);
        string sizes = StringOption(args, "--sizes", "256,512,1024,2048,seed"); // also m x k x n, e.g. 64x784x64NT
        string isaName = StringOption(args, "--isa", Gemm.BestIsa.ToString()); // Avx512, Vector256 or Scalar
        var isa = Enum.Parse<GemmIsa>(isaName, ignoreCase: true);
        KernelPool.NumThreads = threads;

        var shapes = new List<GemmShape>();
        foreach (var s in sizes.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            if (s == "seed") shapes.AddRange(GemmShape.Seed);
            else if (s.Contains('x'))
            {
                // m x k x n, optionally with a transpose code: 64x784x64 or 64x784x64NT
                string dims = s.TrimEnd('N', 'T');
                string code = s[dims.Length..].PadRight(2, 'N');
                int[] d = Array.ConvertAll(dims.Split('x'), int.Parse);
                shapes.Add(new GemmShape($"{dims} {code}", code[0] == 'T', code[1] == 'T', d[0], d[1], d[2]));
            }
            else shapes.Add(GemmShape.Square(int.Parse(s)));
        }

        Console.WriteLine($"# sgemm quick: threads={threads} samples={samples} sample_ms={sampleMs} " +
            $"isa={isa} cores={Environment.ProcessorCount}");
        Console.WriteLine("# " + IsaLine());
        foreach (var shape in shapes)
        {
            var (a, lda, b, ldb, c) = shape.Allocate();
            void Call() => Gemm.Sgemm(shape.TransA, shape.TransB, shape.M, shape.N, shape.K, 1f, a, lda, b, ldb, 0f, c, shape.N, isa);

            // Warm-up: tiered JIT, packing buffers, pool threads; then size a batch to ~sampleMs.
            var warm = Stopwatch.StartNew();
            int calls = 0;
            while (warm.ElapsedMilliseconds < 300 || calls < 3) { Call(); calls++; }
            int batch = Math.Max(1, (int)(calls * (double)sampleMs / warm.Elapsed.TotalMilliseconds));

            var gflops = new double[samples];
            for (int s = 0; s < samples; s++)
            {
                long t0 = Stopwatch.GetTimestamp();
                for (int i = 0; i < batch; i++) Call();
                double seconds = Stopwatch.GetElapsedTime(t0).TotalSeconds;
                gflops[s] = shape.Flops * batch / seconds / 1e9;
            }
            Array.Sort(gflops);
            Console.WriteLine($"sgemm {shape.Name,-14} threads={threads} median_gflops={gflops[samples / 2],7:F1} " +
                $"min={gflops[0]:F1} max={gflops[^1]:F1} us_per_call={shape.Flops / gflops[samples / 2] / 1e3:F2}");
        }
    }

    private static int IntOption(string[] args, string name, int fallback) =>
        int.Parse(StringOption(args, name, fallback.ToString()));

    private static string StringOption(string[] args, string name, string fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
    }
}
