namespace Praxis.Bench.Kernels;

/// <summary>One SGEMM problem: C[m×n] = op(A)[m×k] · op(B)[k×n].</summary>
public sealed record GemmShape(string Name, bool TransA, bool TransB, int M, int K, int N)
{
    /// <summary>Floating-point operations of one call (a multiply and an add per term).</summary>
    public double Flops => 2.0 * M * N * K;

    public override string ToString() => Name;

    public static GemmShape Square(int n) => new($"{n}", false, false, n, n, n);

    /// <summary>The seed MLP's GEMMs (batch 32, 784 → 64 → 10): forward, then the two backward products of layer 1.</summary>
    public static readonly GemmShape[] Seed =
    [
        new("32x784x64 NN", false, false, 32, 784, 64),
        new("32x64x10 NN", false, false, 32, 64, 10),
        new("784x32x64 TN", true, false, 784, 32, 64),
        new("32x64x784 NT", false, true, 32, 64, 784),
    ];

    /// <summary>Operands with the stored layouts the transposes imply.</summary>
    public (float[] A, int Lda, float[] B, int Ldb, float[] C) Allocate(int seed = 42)
    {
        var rng = new Random(seed);
        var a = new float[M * K];
        var b = new float[K * N];
        for (int i = 0; i < a.Length; i++) a[i] = (float)rng.NextDouble() - 0.5f;
        for (int i = 0; i < b.Length; i++) b[i] = (float)rng.NextDouble() - 0.5f;
        return (a, TransA ? M : K, b, TransB ? K : N, new float[M * N]);
    }
}
