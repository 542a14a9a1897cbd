using System.Diagnostics;

namespace Praxis.Bench.Kernels;

/// <summary>
/// The cost of recording one small eager op (an 8-float multiply whose input requires grad): the path where
/// <c>Engine.Record</c> asks whether grad mode is on and whether a tape records. Three states: nothing open anywhere,
/// inside <c>NoGrad</c>, and grad on while another thread holds a <c>NoGrad</c> scope. Prints median ns per op.
/// Uses only public API, so the same file times an older checkout.
/// </summary>
public static class RecordBench
{
    public static void Run(string[] args)
    {
        int samples = 9, opsPerSample = 200_000;
        var w = Tensor.FromArray([1f, 2f, 3f, 4f, 5f, 6f, 7f, 8f], 8);
        w.RequiresGrad = true;
        Console.WriteLine($"record: {Median(samples, opsPerSample, () => Ops(w, opsPerSample)):F1} ns/op, nothing open");
        Console.WriteLine($"check:  {Median(samples, Checks, () => Check(Checks)):F2} ns per IsGradEnabled + Tape.Current, nothing open");
        using (Tensor.NoGrad())
        {
            Console.WriteLine($"record: {Median(samples, opsPerSample, () => Ops(w, opsPerSample)):F1} ns/op, inside NoGrad");
            Console.WriteLine($"check:  {Median(samples, Checks, () => Check(Checks)):F2} ns per IsGradEnabled + Tape.Current, inside NoGrad");
        }
        using var entered = new ManualResetEventSlim();
        using var done = new ManualResetEventSlim();
        var holder = new Thread(() =>
        {
            using (Tensor.NoGrad())
            {
                entered.Set();
                done.Wait();
            }
        });
        holder.Start();
        entered.Wait();
        Console.WriteLine($"record: {Median(samples, opsPerSample, () => Ops(w, opsPerSample)):F1} ns/op, grad on while another thread holds NoGrad");
        done.Set();
        holder.Join();
    }

    private const int Checks = 10_000_000;
    private static int s_sink;

    // The two questions Engine.Record asks per op, alone.
    private static void Check(int count)
    {
        int n = 0;
        for (int i = 0; i < count; i++)
            if (Praxis.Autograd.Engine.IsGradEnabled && Praxis.Autograd.Tape.Current == null) n++;
        s_sink += n;
    }

    private static void Ops(Tensor w, int count)
    {
        for (int i = 0; i < count; i++) _ = w * w;
    }

    private static double Median(int samples, int ops, Action run)
    {
        run(); // warm up (JIT, tiered compilation)
        var ns = new double[samples];
        for (int s = 0; s < samples; s++)
        {
            var sw = Stopwatch.StartNew();
            run();
            ns[s] = sw.Elapsed.TotalNanoseconds / ops;
        }
        Array.Sort(ns);
        return ns[samples / 2];
    }
}
