using System.Numerics;
using System.Numerics.Tensors;
using Praxis.Autograd;

namespace Praxis;

public sealed partial class Tensor
{
    /// <summary>Sum of all elements (a scalar).</summary>
    public Tensor Sum() => Sum((int[]?)null);

    /// <summary>Sum along <paramref name="axis"/> (negative counts from the end).</summary>
    public Tensor Sum(int axis, bool keepDims = false) => Sum([axis], keepDims);

    /// <summary>
    /// Sum over <paramref name="axes"/> (Keras <c>ops.sum(x, axis, keepdims)</c>): axes may be negative, <c>null</c>
    /// reduces every axis, and <paramref name="keepDims"/> keeps each reduced axis with length 1.
    /// </summary>
    public Tensor Sum(int[]? axes, bool keepDims = false) => Engine.Record(new ReduceOp(ReduceKind.Sum, this, axes, keepDims));

    /// <summary>Mean of all elements (a scalar).</summary>
    public Tensor Mean() => Mean((int[]?)null);

    /// <summary>Mean along <paramref name="axis"/> (negative counts from the end).</summary>
    public Tensor Mean(int axis, bool keepDims = false) => Mean([axis], keepDims);

    /// <summary>Mean over <paramref name="axes"/> (<c>null</c> = all), Keras <c>ops.mean(x, axis, keepdims)</c>.</summary>
    public Tensor Mean(int[]? axes, bool keepDims = false) => Engine.Record(new ReduceOp(ReduceKind.Mean, this, axes, keepDims));

    /// <summary>Largest element (a scalar).</summary>
    public Tensor Max() => Max((int[]?)null);

    /// <summary>Largest element along <paramref name="axis"/>.</summary>
    public Tensor Max(int axis, bool keepDims = false) => Max([axis], keepDims);

    /// <summary>
    /// Largest element over <paramref name="axes"/> (<c>null</c> = all), Keras <c>ops.max(x, axis, keepdims)</c>.
    /// NaN propagates, as in NumPy. The gradient is shared equally by tied maxima, as TensorFlow's <c>reduce_max</c>.
    /// </summary>
    public Tensor Max(int[]? axes, bool keepDims = false) => Engine.Record(new ReduceOp(ReduceKind.Max, this, axes, keepDims));

    /// <summary>Smallest element (a scalar).</summary>
    public Tensor Min() => Min((int[]?)null);

    /// <summary>Smallest element along <paramref name="axis"/>.</summary>
    public Tensor Min(int axis, bool keepDims = false) => Min([axis], keepDims);

    /// <summary>Smallest element over <paramref name="axes"/> (<c>null</c> = all); ties share the gradient equally.</summary>
    public Tensor Min(int[]? axes, bool keepDims = false) => Engine.Record(new ReduceOp(ReduceKind.Min, this, axes, keepDims));

    /// <summary>Population variance over <paramref name="axis"/>.</summary>
    public Tensor Var(int axis, bool keepDims = false) => Var([axis], keepDims);

    /// <summary>
    /// Population variance mean((x − mean(x))²) over <paramref name="axes"/> (<c>null</c> = all), as
    /// <c>keras.ops.var</c> (divides by n, not n − 1). Composed from Mean, Sub and Square, so its gradient is theirs.
    /// </summary>
    public Tensor Var(int[]? axes = null, bool keepDims = false)
    {
        var centered = this - Mean(axes, keepDims: true);
        return centered.Square().Mean(axes, keepDims);
    }

    /// <summary>Population standard deviation over <paramref name="axis"/>.</summary>
    public Tensor Std(int axis, bool keepDims = false) => Std([axis], keepDims);

    /// <summary>
    /// Population standard deviation √Var over <paramref name="axes"/> (<c>null</c> = all), as <c>keras.ops.std</c>.
    /// Its gradient is infinite where the variance is zero (a constant slice), as in Keras.
    /// </summary>
    public Tensor Std(int[]? axes = null, bool keepDims = false) => Var(axes, keepDims).Sqrt();

    /// <summary>
    /// Index of the largest element along <paramref name="axis"/>, or in the flattened tensor when it is <c>null</c>
    /// (Keras <c>ops.argmax(x, axis, keepdims)</c>); the first index wins ties, and a NaN counts as the largest (as NumPy).
    /// Indices are returned as floats (Praxis tensors are float32) and carry no gradient.
    /// </summary>
    public Tensor ArgMax(int? axis = null, bool keepDims = false) => Engine.Record(new ArgReduceOp(this, axis, keepDims, max: true));

    /// <summary>Index of the smallest element along <paramref name="axis"/> (<c>null</c> = flattened); see <see cref="ArgMax"/>.</summary>
    public Tensor ArgMin(int? axis = null, bool keepDims = false) => Engine.Record(new ArgReduceOp(this, axis, keepDims, max: false));
}

/// <summary>
/// How a reduction walks its input: the axes are normalised, size-1 axes dropped, and neighbouring axes that are both
/// reduced or both kept merged, so the input becomes alternating groups. The last group is the contiguous inner run
/// of <see cref="Inner"/> elements; every other combination is a block with its input offset
/// <see cref="XOffset"/>[k] and output offset <see cref="YOffset"/>[k]. When the inner run is reduced, a block folds
/// into the single output element <c>y[YOffset[k]]</c>; when it is kept, it folds element-wise into
/// <c>y[YOffset[k] .. + Inner]</c>. Either way the inner loop is one SIMD pass over contiguous memory.
/// </summary>
internal sealed class ReducePlan
{
    public ReducePlan(Shape x, int[]? axes, bool keepDims, string op)
    {
        int r = x.Rank;
        var reduced = new bool[r];
        if (axes is null) Array.Fill(reduced, true);
        else
        {
            foreach (int ax in axes)
            {
                int a = ax < 0 ? ax + r : ax;
                if (a < 0 || a >= r)
                    throw new ArgumentOutOfRangeException(nameof(axes), $"{op}: axis {ax} is out of range for shape {x} (rank {r}).");
                if (reduced[a]) throw new ArgumentException($"{op}: axis {ax} is listed twice in [{string.Join(", ", axes)}] for shape {x}.", nameof(axes));
                reduced[a] = true;
            }
        }

        var outDims = new List<int>();
        for (int i = 0; i < r; i++)
        {
            if (!reduced[i]) outDims.Add(x[i]);
            else if (keepDims) outDims.Add(1);
        }
        Out = new Shape(outDims.ToArray());

        // Groups (size, reduced) after dropping size-1 axes and merging like neighbours.
        var size = new List<int>(); var red = new List<bool>();
        Count = 1;
        for (int i = 0; i < r; i++)
        {
            if (reduced[i]) Count *= x[i];
            if (x[i] == 1) continue;
            if (size.Count > 0 && red[^1] == reduced[i]) size[^1] *= x[i];
            else { size.Add(x[i]); red.Add(reduced[i]); }
        }
        if (size.Count == 0) { size.Add(1); red.Add(false); }

        Inner = size[^1];
        InnerReduced = red[^1];
        int groups = size.Count - 1;
        // Strides of each outer group in the input (contiguous) and the output (0 for a reduced group).
        var xs = new int[groups]; var ys = new int[groups];
        int xStride = Inner, yStride = InnerReduced ? 1 : Inner;
        for (int g = groups - 1; g >= 0; g--)
        {
            xs[g] = xStride; xStride *= size[g];
            ys[g] = red[g] ? 0 : yStride;
            if (!red[g]) yStride *= size[g];
        }
        int blocks = x.Size == 0 ? 0 : x.Size / Inner;
        XOffset = new int[blocks];
        YOffset = new int[blocks];
        var idx = new int[groups];
        int xo = 0, yo = 0;
        for (int k = 0; k < blocks; k++)
        {
            XOffset[k] = xo; YOffset[k] = yo;
            for (int g = groups - 1; g >= 0; g--)
            {
                idx[g]++; xo += xs[g]; yo += ys[g];
                if (idx[g] < size[g]) break;
                xo -= xs[g] * size[g]; yo -= ys[g] * size[g]; idx[g] = 0;
            }
        }
    }

    /// <summary>The output shape.</summary>
    public Shape Out { get; }

    /// <summary>How many input elements fold into each output element (the product of the reduced axes).</summary>
    public int Count { get; }

    public int Inner { get; }
    public bool InnerReduced { get; }
    public int[] XOffset { get; }
    public int[] YOffset { get; }
}

internal enum ReduceKind { Sum, Mean, Max, Min }

/// <summary>
/// Sum, mean, max or min over any set of axes (see <see cref="ReducePlan"/> for the walk).
/// Backward: sum/mean broadcast dy (· 1/n) back over the reduced axes; max/min send dy to the elements equal to the
/// result, divided by how many there are (ties share, as TensorFlow).
/// </summary>
internal sealed class ReduceOp : Op
{
    private readonly ReduceKind _kind;
    private readonly ReducePlan _plan;
    private readonly float _scale;
    private readonly float[] _ties; // max/min: 1 / (number of elements equal to the result), per output element

    public ReduceOp(ReduceKind kind, Tensor x, int[]? axes, bool keepDims) : base(x)
    {
        _kind = kind;
        _plan = new ReducePlan(x.Shape, axes, keepDims, kind.ToString());
        if (kind is ReduceKind.Max or ReduceKind.Min && _plan.Count == 0 && _plan.Out.Size > 0)
            throw new ArgumentException($"{kind}: cannot reduce shape {x.Shape} over an axis of length 0 (no identity).", nameof(axes));
        Output = new Tensor(_plan.Out);
        _scale = kind == ReduceKind.Mean ? 1f / Math.Max(_plan.Count, 1) : 1f;
        _ties = kind is ReduceKind.Max or ReduceKind.Min ? new float[_plan.Out.Size] : [];
    }

    public override string Name => _kind.ToString();

    public override void Forward()
    {
        ReadOnlySpan<float> x = Inputs[0].Span;
        Span<float> y = Output.Span;
        int n = _plan.Inner;
        var xo = _plan.XOffset; var yo = _plan.YOffset;
        switch (_kind)
        {
            case ReduceKind.Sum or ReduceKind.Mean:
                y.Clear();
                if (_plan.InnerReduced) for (int k = 0; k < xo.Length; k++) y[yo[k]] += TensorPrimitives.Sum(x.Slice(xo[k], n));
                else for (int k = 0; k < xo.Length; k++) { var t = y.Slice(yo[k], n); TensorPrimitives.Add(t, x.Slice(xo[k], n), t); }
                if (_kind == ReduceKind.Mean) TensorPrimitives.Multiply(y, _scale, y);
                break;
            case ReduceKind.Max:
                y.Fill(float.NegativeInfinity);
                if (_plan.InnerReduced) for (int k = 0; k < xo.Length; k++) y[yo[k]] = MathF.Max(y[yo[k]], TensorPrimitives.Max(x.Slice(xo[k], n)));
                else for (int k = 0; k < xo.Length; k++) { var t = y.Slice(yo[k], n); TensorPrimitives.Max(t, x.Slice(xo[k], n), t); }
                break;
            default:
                y.Fill(float.PositiveInfinity);
                if (_plan.InnerReduced) for (int k = 0; k < xo.Length; k++) y[yo[k]] = MathF.Min(y[yo[k]], TensorPrimitives.Min(x.Slice(xo[k], n)));
                else for (int k = 0; k < xo.Length; k++) { var t = y.Slice(yo[k], n); TensorPrimitives.Min(t, x.Slice(xo[k], n), t); }
                break;
        }
    }

    public override void Backward()
    {
        var xT = Inputs[0];
        if (!xT.RequiresGrad) return;
        ReadOnlySpan<float> gy = OutGrad;
        Span<float> gx = GradSpan(xT);
        int n = _plan.Inner;
        var xo = _plan.XOffset; var yo = _plan.YOffset;
        if (_kind is ReduceKind.Sum or ReduceKind.Mean)
        {
            if (_plan.InnerReduced)
                for (int k = 0; k < xo.Length; k++) { var t = gx.Slice(xo[k], n); TensorPrimitives.Add(t, gy[yo[k]] * _scale, t); }
            else
                for (int k = 0; k < xo.Length; k++) { var t = gx.Slice(xo[k], n); TensorPrimitives.MultiplyAdd(gy.Slice(yo[k], n), _scale, t, t); }
            return;
        }

        // Max/min: count the elements equal to each result, then hand each of them dy / count.
        ReadOnlySpan<float> x = xT.Span, y = Output.Span;
        Span<float> w = _ties;
        w.Clear();
        if (_plan.InnerReduced)
        {
            for (int k = 0; k < xo.Length; k++) w[yo[k]] += CountEqual(x.Slice(xo[k], n), y[yo[k]]);
            TensorPrimitives.Reciprocal(w, w);
            for (int k = 0; k < xo.Length; k++) AddWhereEqual(x.Slice(xo[k], n), y[yo[k]], gy[yo[k]] * w[yo[k]], gx.Slice(xo[k], n));
        }
        else
        {
            for (int k = 0; k < xo.Length; k++) CountEqual(x.Slice(xo[k], n), y.Slice(yo[k], n), w.Slice(yo[k], n));
            TensorPrimitives.Reciprocal(w, w);
            TensorPrimitives.Multiply(w, gy, w); // w = dy / count
            for (int k = 0; k < xo.Length; k++) AddWhereEqual(x.Slice(xo[k], n), y.Slice(yo[k], n), w.Slice(yo[k], n), gx.Slice(xo[k], n));
        }
    }

    /// <summary>How many elements of <paramref name="x"/> equal <paramref name="v"/>.</summary>
    private static int CountEqual(ReadOnlySpan<float> x, float v)
    {
        int c = 0, i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var vv = new Vector<float>(v);
            var acc = Vector<int>.Zero;
            for (; i <= x.Length - Vector<float>.Count; i += Vector<float>.Count)
                acc -= Vector.Equals(new Vector<float>(x.Slice(i)), vv); // a true lane is −1
            c = Vector.Sum(acc);
        }
        for (; i < x.Length; i++) if (x[i] == v) c++;
        return c;
    }

    /// <summary>count[i] += [x[i] = y[i]].</summary>
    private static void CountEqual(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> count)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= x.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var eq = Vector.Equals(new Vector<float>(x.Slice(i)), new Vector<float>(y.Slice(i)));
                (new Vector<float>(count.Slice(i)) + Vector.ConditionalSelect(eq, Vector<float>.One, Vector<float>.Zero)).CopyTo(count.Slice(i));
            }
        }
        for (; i < x.Length; i++) if (x[i] == y[i]) count[i] += 1f;
    }

    /// <summary>gx[i] += g where x[i] = v.</summary>
    private static void AddWhereEqual(ReadOnlySpan<float> x, float v, float g, Span<float> gx)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var vv = new Vector<float>(v); var gv = new Vector<float>(g);
            for (; i <= x.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var eq = Vector.Equals(new Vector<float>(x.Slice(i)), vv);
                (new Vector<float>(gx.Slice(i)) + Vector.ConditionalSelect(eq, gv, Vector<float>.Zero)).CopyTo(gx.Slice(i));
            }
        }
        for (; i < x.Length; i++) if (x[i] == v) gx[i] += g;
    }

    /// <summary>gx[i] += g[i] where x[i] = y[i].</summary>
    private static void AddWhereEqual(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> g, Span<float> gx)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= x.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var eq = Vector.Equals(new Vector<float>(x.Slice(i)), new Vector<float>(y.Slice(i)));
                (new Vector<float>(gx.Slice(i)) + Vector.ConditionalSelect(eq, new Vector<float>(g.Slice(i)), Vector<float>.Zero)).CopyTo(gx.Slice(i));
            }
        }
        for (; i < x.Length; i++) if (x[i] == y[i]) gx[i] += g[i];
    }
}

/// <summary>
/// ArgMax/ArgMin along one axis, the input viewed as (outer, n, inner). With inner = 1 each run is contiguous and
/// <c>TensorPrimitives.IndexOfMax</c> does it; otherwise a running best row of <c>inner</c> values is compared with each
/// of the n rows in turn (strictly better wins, so the first index keeps ties; a NaN beats any number, as NumPy).
/// Piecewise constant: no gradient.
/// </summary>
internal sealed class ArgReduceOp : Op
{
    private readonly int _outer, _n, _inner;
    private readonly bool _max;
    private readonly float[] _best;

    public ArgReduceOp(Tensor x, int? axis, bool keepDims, bool max) : base(x)
    {
        _max = max;
        string name = max ? "ArgMax" : "ArgMin";
        if (axis is int ax)
        {
            if (x.Rank == 0) throw new ArgumentOutOfRangeException(nameof(axis), $"{name}: axis {ax} is out of range for a scalar.");
            int a = ax < 0 ? ax + x.Rank : ax;
            if (a < 0 || a >= x.Rank) throw new ArgumentOutOfRangeException(nameof(axis), $"{name}: axis {ax} is out of range for shape {x.Shape} (rank {x.Rank}).");
            _outer = x.Shape.SizeOf(0, a); _n = x.Shape[a]; _inner = x.Shape.SizeOf(a + 1, x.Rank);
            Output = new Tensor(keepDims ? x.Shape.With(a, 1) : new Shape([.. x.Shape.Dims[..a], .. x.Shape.Dims[(a + 1)..]]));
        }
        else
        {
            _outer = 1; _n = x.Size; _inner = 1;
            var ones = new int[x.Rank]; Array.Fill(ones, 1);
            Output = new Tensor(keepDims ? new Shape(ones) : new Shape());
        }
        if (_n == 0 && Output.Size > 0) throw new ArgumentException($"{name}: cannot take the {name.ToLowerInvariant()} of shape {x.Shape} over an axis of length 0.", nameof(axis));
        _best = _inner > 1 ? new float[_inner] : [];
    }

    public override string Name => _max ? "ArgMax" : "ArgMin";

    public override void Forward()
    {
        ReadOnlySpan<float> x = Inputs[0].Span;
        Span<float> y = Output.Span;
        for (int o = 0; o < _outer; o++)
        {
            if (_inner == 1)
            {
                var run = x.Slice(o * _n, _n);
                // Both return the first NaN if there is one, as NumPy.
                y[o] = _max ? TensorPrimitives.IndexOfMax(run) : TensorPrimitives.IndexOfMin(run);
                continue;
            }
            var yo = y.Slice(o * _inner, _inner);
            Span<float> best = _best;
            x.Slice(o * _n * _inner, _inner).CopyTo(best);
            yo.Clear();
            for (int j = 1; j < _n; j++) Improve(x.Slice((o * _n + j) * _inner, _inner), j, best, yo);
        }
    }

    /// <summary>Where row beats best (strictly, or a NaN over a number), best = row and index = j.</summary>
    private void Improve(ReadOnlySpan<float> row, int j, Span<float> best, Span<float> index)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var jv = new Vector<float>(j);
            for (; i <= row.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var v = new Vector<float>(row.Slice(i)); var b = new Vector<float>(best.Slice(i));
                var better = _max ? Vector.GreaterThan(v, b) : Vector.LessThan(v, b);
                better |= ~Vector.Equals(v, v) & Vector.Equals(b, b); // v NaN, b not
                Vector.ConditionalSelect(better, v, b).CopyTo(best.Slice(i));
                Vector.ConditionalSelect(better, jv, new Vector<float>(index.Slice(i))).CopyTo(index.Slice(i));
            }
        }
        for (; i < row.Length; i++)
        {
            float v = row[i], b = best[i];
            if ((_max ? v > b : v < b) || (float.IsNaN(v) && !float.IsNaN(b))) { best[i] = v; index[i] = j; }
        }
    }

    public override void Backward() { }
}
