using System.Runtime.Intrinsics;
using Praxis.Kernels;

namespace Praxis.Tests.Kernels;

/// <summary>
/// The width-generic kernels (Kernels/Simd, Elementwise, SoftmaxRow) against plain references at lengths that cover
/// every width and tail, and the check that the ISA a CI run asks for (by DOTNET_Enable* variables) is the one in use.
/// </summary>
public class SimdTests
{
    private static bool Disabled(string name) => Environment.GetEnvironmentVariable(name) == "0";

    [Fact]
    public void PathInUseIsTheOneTheEnvironmentAsksFor()
    {
        SimdPath expected;
        GemmIsa gemm;
        if (Disabled("DOTNET_EnableHWIntrinsic")) (expected, gemm) = (SimdPath.Scalar, GemmIsa.Scalar);
        else if (Disabled("DOTNET_EnableAVX") && System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture == System.Runtime.InteropServices.Architecture.X64)
            (expected, gemm) = (SimdPath.Vector128, GemmIsa.Vector128);
        else if (Disabled("DOTNET_EnableAVX512F") || Disabled("DOTNET_EnableAVX512"))
        {
            Assert.False(Vector512.IsHardwareAccelerated, "AVX-512 was disabled by environment but Vector512 is still accelerated (.NET 10 ignores DOTNET_EnableAVX512F; it reads DOTNET_EnableAVX512)");
            (expected, gemm) = Vector256.IsHardwareAccelerated ? (SimdPath.Vector256, GemmIsa.Vector256) : (SimdPath.Vector128, GemmIsa.Vector128);
        }
        else
            (expected, gemm) = Vector512.IsHardwareAccelerated ? (SimdPath.Vector512, System.Runtime.Intrinsics.X86.Avx512F.IsSupported ? GemmIsa.Avx512 : GemmIsa.Vector256)
                : Vector256.IsHardwareAccelerated ? (SimdPath.Vector256, GemmIsa.Vector256)
                : Vector128.IsHardwareAccelerated ? (SimdPath.Vector128, GemmIsa.Vector128)
                : (SimdPath.Scalar, GemmIsa.Scalar);
        Assert.Equal(expected, Simd.Path);
        Assert.Equal(gemm, Gemm.BestIsa);
    }

    [Fact]
    public void ForPicksTheWidestWidthTheLengthFills()
    {
        Assert.Equal(SimdPath.Scalar, Simd.For(3));
        Assert.Equal(Simd.Path == SimdPath.Scalar ? SimdPath.Scalar : SimdPath.Vector128, Simd.For(4));
        Assert.Equal(Simd.Path, Simd.For(1000));
        Assert.True(Simd.For(8) <= SimdPath.Vector256);
    }

    public static readonly TheoryData<int> Lengths = new() { 1, 3, 4, 5, 8, 10, 15, 16, 17, 31, 33, 64, 70 };

    private static float[] Random(Random rng, int n) => Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 6 - 3)).ToArray();

    [Theory]
    [MemberData(nameof(Lengths))]
    public void ReluMasksMatchTheScalarRule(int n)
    {
        var rng = new Random(n);
        float[] y = Random(rng, n), dy = Random(rng, n), g = Random(rng, n);
        y[0] = 0f; // y = 0 is off
        var dz = new float[n];
        Elementwise.ReluMask(y, dy, dz);
        var acc = (float[])g.Clone();
        Elementwise.ReluMaskAdd(y, dy, acc);
        for (int i = 0; i < n; i++)
        {
            Assert.Equal(y[i] > 0f ? dy[i] : 0f, dz[i]);
            Assert.Equal(y[i] > 0f ? g[i] + dy[i] : g[i], acc[i]);
        }
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void SoftmaxRowMatchesDoublePrecision(int n)
    {
        var rng = new Random(100 + n);
        float[] x = Random(rng, n), dy = Random(rng, n);
        double max = x.Max(), sum = x.Sum(v => Math.Exp(v - max));
        var p = new float[n];
        var (m, s) = SoftmaxRow.Forward(x, p);
        Assert.Equal(max, m);
        Assert.Equal(sum, s, 1e-5 * sum);
        var logp = new float[n];
        SoftmaxRow.LogForward(x, logp);
        double dot = 0;
        for (int i = 0; i < n; i++) dot += dy[i] * Math.Exp(x[i] - max) / sum;
        var g = Enumerable.Repeat(1f, n).ToArray();
        SoftmaxRow.Backward(dy, p, g, accumulate: true);
        for (int i = 0; i < n; i++)
        {
            double pi = Math.Exp(x[i] - max) / sum;
            Assert.Equal(pi, p[i], 1e-6);
            Assert.Equal(x[i] - max - Math.Log(sum), logp[i], 1e-5);
            Assert.Equal(1 + pi * (dy[i] - dot), g[i], 1e-5);
        }
    }
}
