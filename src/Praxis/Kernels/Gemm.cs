using System.Numerics;

namespace Praxis.Kernels;

/// <summary>
/// Single-precision general matrix multiply on row-major spans:
/// <c>C = alpha * op(A) * op(B) + beta * C</c>, where <c>op(X)</c> is X or its transpose.
/// </summary>
/// <remarks>
/// PLACEHOLDER: a simple blocked, vectorised loop so the rest of the library can be built and tested.
/// The speed issue replaces it with a packed, register-blocked, multi-threaded kernel behind the same signature.
/// </remarks>
public static class Gemm
{
    [ThreadStatic] private static float[]? _scratch;

    /// <summary>
    /// C[m×n] = alpha · op(A)[m×k] · op(B)[k×n] + beta · C. Row-major; <paramref name="lda"/>, <paramref name="ldb"/>,
    /// <paramref name="ldc"/> are row strides of the stored matrices (A is stored k×m when <paramref name="transA"/>).
    /// When beta is 0, C is overwritten (NaNs in C are not propagated), as in BLAS.
    /// </summary>
    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
    {
        if (m == 0 || n == 0) return;
        for (int i = 0; i < m; i++)
        {
            Span<float> ci = c.Slice(i * ldc, n);
            if (beta == 0f) ci.Clear();
            else if (beta != 1f) System.Numerics.Tensors.TensorPrimitives.Multiply(ci, beta, ci);
        }
        if (k == 0 || alpha == 0f) return;
        const int KB = 256;
        float[]? bt = null;
        if (transB)
        {
            // Materialise B^T block-wise is simplest for the placeholder.
            bt = _scratch is { } sc && sc.Length >= k * n ? sc : (_scratch = new float[k * n]);
            for (int p = 0; p < k; p++)
                for (int j = 0; j < n; j++) bt[p * n + j] = b[j * ldb + p];
        }
        ReadOnlySpan<float> bb = bt ?? b;
        int ldbb = bt != null ? n : ldb;
        for (int p0 = 0; p0 < k; p0 += KB)
        {
            int p1 = Math.Min(k, p0 + KB);
            for (int i = 0; i < m; i++)
            {
                Span<float> ci = c.Slice(i * ldc, n);
                for (int p = p0; p < p1; p++)
                {
                    float aip = alpha * (transA ? a[p * lda + i] : a[i * lda + p]);
                    if (aip == 0f) continue;
                    Axpy(aip, bb.Slice(p * ldbb, n), ci);
                }
            }
        }
    }

    private static void Axpy(float s, ReadOnlySpan<float> x, Span<float> y)
    {
        int j = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var vs = new Vector<float>(s);
            for (; j <= x.Length - Vector<float>.Count; j += Vector<float>.Count)
                (new Vector<float>(y.Slice(j)) + vs * new Vector<float>(x.Slice(j))).CopyTo(y.Slice(j));
        }
        for (; j < x.Length; j++) y[j] += s * x[j];
    }
}
