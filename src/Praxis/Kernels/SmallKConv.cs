using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Praxis.Kernels;

/// <summary>
/// Direct kernels for a convolution with 9 taps over one input channel (a 3×3 kernel on a grayscale image, the first
/// layer of an MNIST convnet), on the K-major im2col matrix colT (9 × ld) of <see cref="Im2Col.ForwardKMajor"/>. With
/// K = 9 a GEMM spends its time packing and on a bias pass and a ReLU pass over the output; here each output row is
/// made in registers and written once, and backward reads dy once for the ReLU mask, the bias sums and dW together.
/// </summary>
internal static class SmallKConv
{
    /// <summary>The number of taps these kernels take.</summary>
    public const int Taps = 9;

    /// <summary>y (rows × F) = colᵀ · W (9 × F) + b, then max(·, 0) when <paramref name="relu"/>; b may be empty.</summary>
    public static void Forward(ReadOnlySpan<float> colT, int ld, int rows, ReadOnlySpan<float> w, ReadOnlySpan<float> b, bool relu, Span<float> y, int f)
    {
        if (colT.Length < (Taps - 1) * ld + rows || w.Length < Taps * f || y.Length < rows * f || (!b.IsEmpty && b.Length < f))
            throw new ArgumentException("SmallKConv.Forward: a buffer is shorter than the geometry.");
        int vc = Vector<float>.Count, fv = Vector.IsHardwareAccelerated ? f - f % vc : 0;
        ref float c0 = ref MemoryMarshal.GetReference(colT);
        ref float w0 = ref MemoryMarshal.GetReference(w);
        ref float y0 = ref MemoryMarshal.GetReference(y);
        ref float b0 = ref MemoryMarshal.GetReference(b);
        for (int r = 0; r < rows; r++)
        {
            // Row by row, so each output row is written whole, once; the 9 taps are broadcast once for all its channels,
            // and the kernel (9 × F) stays in L1.
            ref float c = ref Unsafe.Add(ref c0, r);
            var t0 = new Vector<float>(c); var t1 = new Vector<float>(Unsafe.Add(ref c, ld)); var t2 = new Vector<float>(Unsafe.Add(ref c, 2 * ld));
            var t3 = new Vector<float>(Unsafe.Add(ref c, 3 * ld)); var t4 = new Vector<float>(Unsafe.Add(ref c, 4 * ld)); var t5 = new Vector<float>(Unsafe.Add(ref c, 5 * ld));
            var t6 = new Vector<float>(Unsafe.Add(ref c, 6 * ld)); var t7 = new Vector<float>(Unsafe.Add(ref c, 7 * ld)); var t8 = new Vector<float>(Unsafe.Add(ref c, 8 * ld));
            for (int j = 0; j < fv; j += vc)
            {
                var acc = b.IsEmpty ? Vector<float>.Zero : Load(ref b0, j);
                acc = MulAdd(t0, Load(ref w0, j), acc);
                acc = MulAdd(t1, Load(ref w0, f + j), acc);
                acc = MulAdd(t2, Load(ref w0, 2 * f + j), acc);
                acc = MulAdd(t3, Load(ref w0, 3 * f + j), acc);
                acc = MulAdd(t4, Load(ref w0, 4 * f + j), acc);
                acc = MulAdd(t5, Load(ref w0, 5 * f + j), acc);
                acc = MulAdd(t6, Load(ref w0, 6 * f + j), acc);
                acc = MulAdd(t7, Load(ref w0, 7 * f + j), acc);
                acc = MulAdd(t8, Load(ref w0, 8 * f + j), acc);
                if (relu) acc = Vector.Max(acc, Vector<float>.Zero);
                Unsafe.WriteUnaligned(ref Unsafe.As<float, byte>(ref Unsafe.Add(ref y0, r * f + j)), acc);
            }
        }
        for (int j = fv; j < f; j++) // channels past the last whole vector
            for (int r = 0; r < rows; r++)
            {
                float acc = b.IsEmpty ? 0f : b[j];
                for (int t = 0; t < Taps; t++) acc = ScalarMulAdd(colT[t * ld + r], w[t * f + j], acc);
                y[r * f + j] = relu ? MathF.Max(acc, 0f) : acc;
            }
    }

    /// <summary>
    /// dz = dy, masked to 0 where y ≤ 0 when <paramref name="relu"/>; then dW (9 × F) = colᵀ · dz, overwritten when
    /// <paramref name="overwrite"/> else added to, and db (F) += Σ dz when <paramref name="db"/> is not empty.
    /// </summary>
    public static void BackwardWeights(ReadOnlySpan<float> colT, int ld, int rows, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, bool relu,
        Span<float> dw, bool overwrite, Span<float> db, int f)
    {
        if (colT.Length < (Taps - 1) * ld + rows || dw.Length < Taps * f || dy.Length < rows * f || (relu && y.Length < rows * f) || (!db.IsEmpty && db.Length < f))
            throw new ArgumentException("SmallKConv.BackwardWeights: a buffer is shorter than the geometry.");
        int vc = Vector<float>.Count, fv = Vector.IsHardwareAccelerated ? f - f % vc : 0;
        ref float c0 = ref MemoryMarshal.GetReference(colT);
        ref float y0 = ref MemoryMarshal.GetReference(y);
        ref float g0 = ref MemoryMarshal.GetReference(dy);
        for (int j = 0; j < fv; j += vc)
        {
            Vector<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default, a8 = default, sum = default;
            for (int r = 0; r < rows; r++)
            {
                var d = Load(ref g0, r * f + j);
                if (relu) d = Vector.ConditionalSelect(Vector.GreaterThan(Load(ref y0, r * f + j), Vector<float>.Zero), d, Vector<float>.Zero);
                sum += d;
                ref float c = ref Unsafe.Add(ref c0, r);
                a0 = MulAdd(new Vector<float>(c), d, a0);
                a1 = MulAdd(new Vector<float>(Unsafe.Add(ref c, ld)), d, a1);
                a2 = MulAdd(new Vector<float>(Unsafe.Add(ref c, 2 * ld)), d, a2);
                a3 = MulAdd(new Vector<float>(Unsafe.Add(ref c, 3 * ld)), d, a3);
                a4 = MulAdd(new Vector<float>(Unsafe.Add(ref c, 4 * ld)), d, a4);
                a5 = MulAdd(new Vector<float>(Unsafe.Add(ref c, 5 * ld)), d, a5);
                a6 = MulAdd(new Vector<float>(Unsafe.Add(ref c, 6 * ld)), d, a6);
                a7 = MulAdd(new Vector<float>(Unsafe.Add(ref c, 7 * ld)), d, a7);
                a8 = MulAdd(new Vector<float>(Unsafe.Add(ref c, 8 * ld)), d, a8);
            }
            Store(a0, dw, j, overwrite); Store(a1, dw, f + j, overwrite); Store(a2, dw, 2 * f + j, overwrite);
            Store(a3, dw, 3 * f + j, overwrite); Store(a4, dw, 4 * f + j, overwrite); Store(a5, dw, 5 * f + j, overwrite);
            Store(a6, dw, 6 * f + j, overwrite); Store(a7, dw, 7 * f + j, overwrite); Store(a8, dw, 8 * f + j, overwrite);
            if (!db.IsEmpty) (new Vector<float>(db.Slice(j)) + sum).CopyTo(db.Slice(j));
        }
        Span<float> acc = stackalloc float[Taps];
        for (int j = fv; j < f; j++)
        {
            acc.Clear();
            float sum = 0f;
            for (int r = 0; r < rows; r++)
            {
                float d = relu && !(y[r * f + j] > 0f) ? 0f : dy[r * f + j];
                sum += d;
                for (int t = 0; t < Taps; t++) acc[t] = ScalarMulAdd(colT[t * ld + r], d, acc[t]);
            }
            for (int t = 0; t < Taps; t++) dw[t * f + j] = overwrite ? acc[t] : dw[t * f + j] + acc[t];
            if (!db.IsEmpty) db[j] += sum;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<float> Load(ref float at, int offset) => Unsafe.ReadUnaligned<Vector<float>>(ref Unsafe.As<float, byte>(ref Unsafe.Add(ref at, offset)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Vector<float> v, Span<float> dst, int at, bool overwrite) =>
        (overwrite ? v : new Vector<float>(dst.Slice(at)) + v).CopyTo(dst.Slice(at));

    // A multiply and an add, not Vector.FusedMultiplyAdd: on Vector<T> that measured slower than the GEMM path here
    // (conv1 forward 3.4-3.6 ms against 1.9-2.0 ms with the plain form, .NET 10, AVX-512 machine).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<float> MulAdd(Vector<float> a, Vector<float> b, Vector<float> c) => a * b + c;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float ScalarMulAdd(float a, float b, float c) => a * b + c;
}
