using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using Praxis.Autograd;
using Praxis.Kernels;

namespace Praxis;

public sealed partial class Tensor
{
    /// <summary>
    /// Mean softmax cross-entropy of <paramref name="logits"/> (…, C) against target distributions
    /// <paramref name="targets"/> (…, C), fused and stable: per row, log Σ exp(z) · Σ y − Σ y·z, computed with the max
    /// subtracted, so it stays finite for logits of any size. Gradient: (softmax(z)·Σy − y) / rows.
    /// </summary>
    public static Tensor SoftmaxCrossEntropy(Tensor logits, Tensor targets) => Engine.Record(new SoftmaxCrossEntropyOp(logits, targets));

    /// <summary>
    /// Mean softmax cross-entropy of <paramref name="logits"/> (…, C) against integer class ids <paramref name="labels"/>
    /// (…) or (…, 1) stored as floats. Labels outside [0, C) raise an error naming the label and position.
    /// </summary>
    public static Tensor SparseSoftmaxCrossEntropy(Tensor logits, Tensor labels) => Engine.Record(new SparseSoftmaxCrossEntropyOp(logits, labels));

    /// <summary>
    /// Softmax cross-entropy per row: with <paramref name="perRow"/> the result has the logits' shape without the class
    /// axis (one loss per sample, what a weighted or summed loss reduces); without it, the mean (the two-argument overload).
    /// </summary>
    public static Tensor SoftmaxCrossEntropy(Tensor logits, Tensor targets, bool perRow) => Engine.Record(new SoftmaxCrossEntropyOp(logits, targets, perRow));

    /// <summary>Sparse softmax cross-entropy per row when <paramref name="perRow"/> (shape of the logits without the class axis), else the mean.</summary>
    public static Tensor SparseSoftmaxCrossEntropy(Tensor logits, Tensor labels, bool perRow) => Engine.Record(new SparseSoftmaxCrossEntropyOp(logits, labels, perRow));

    /// <summary>The shape of <paramref name="x"/> without its last axis (one value per row).</summary>
    internal static Shape RowShape(Tensor x)
    {
        var dims = x.Shape.ToArray();
        return new Shape(dims.AsSpan(0, Math.Max(dims.Length - 1, 0)).ToArray());
    }
}

/// <summary>Fused softmax + categorical cross-entropy, averaged over rows (or one value per row); caches the softmax for backward.</summary>
internal sealed class SoftmaxCrossEntropyOp : Op
{
    private readonly int _rows, _classes;
    private readonly bool _perRow;
    private readonly float[] _probs;
    private readonly float[] _lse; // log Σ exp per row

    public SoftmaxCrossEntropyOp(Tensor logits, Tensor targets, bool perRow = false) : base(logits, targets)
    {
        if (logits.Shape != targets.Shape)
            throw new ShapeMismatchException($"Categorical cross-entropy: targets shape {targets.Shape} does not match predictions shape {logits.Shape}. (Use sparse categorical cross-entropy for integer labels, or ToCategorical to one-hot encode them.)");
        if (logits.Rank < 1) throw new ShapeMismatchException("Categorical cross-entropy needs a class axis.");
        _classes = logits.Shape[-1];
        _rows = logits.Size / Math.Max(_classes, 1);
        _probs = new float[logits.Size];
        _lse = new float[_rows];
        _perRow = perRow;
        Output = new Tensor(perRow ? Tensor.RowShape(logits) : new Shape());
    }

    public override string Name => "SoftmaxCrossEntropy";

    public override void Forward()
    {
        ReadOnlySpan<float> z = Inputs[0].Span, y = Inputs[1].Span;
        double total = 0;
        for (int r = 0; r < _rows; r++)
        {
            var zr = z.Slice(r * _classes, _classes);
            var yr = y.Slice(r * _classes, _classes);
            var pr = _probs.AsSpan(r * _classes, _classes);
            var (max, sum) = SoftmaxRow.Forward(zr, pr);
            float lse = max + MathF.Log(sum);
            _lse[r] = lse;
            // Σ_c y_c (lse − z_c)
            float row = lse * TensorPrimitives.Sum(yr) - TensorPrimitives.Dot(yr, zr);
            if (_perRow) Output.Span[r] = row;
            total += row;
        }
        if (!_perRow) Output.Span[0] = (float)(total / Math.Max(_rows, 1));
    }

    public override void Backward()
    {
        Tensor logits = Inputs[0], targets = Inputs[1];
        ReadOnlySpan<float> gOut = OutGrad;
        float gMean = _perRow ? 0f : gOut[0] / Math.Max(_rows, 1);
        ReadOnlySpan<float> y = targets.Span;
        if (logits.RequiresGrad)
        {
            Span<float> gz = GradSpan(logits);
            for (int r = 0; r < _rows; r++)
            {
                float g = _perRow ? gOut[r] : gMean;
                var yr = y.Slice(r * _classes, _classes);
                var pr = _probs.AsSpan(r * _classes, _classes);
                var gr = gz.Slice(r * _classes, _classes);
                Elementwise.Ternary(new SoftmaxCrossEntropyGradAdd(g, TensorPrimitives.Sum(yr)), pr, yr, gr, gr);
            }
        }
        if (targets.RequiresGrad)
        {
            // d/dy_c = lse − z_c = −log p_c
            Span<float> gy = GradSpan(targets);
            ReadOnlySpan<float> z = logits.Span;
            for (int r = 0; r < _rows; r++)
            {
                float g = _perRow ? gOut[r] : gMean;
                var gyr = gy.Slice(r * _classes, _classes);
                Elementwise.Binary(new CrossEntropyTargetGradAdd(g, _lse[r]), z.Slice(r * _classes, _classes), gyr, gyr);
            }
        }
    }
}

/// <summary>Fused softmax + sparse categorical cross-entropy (integer labels), averaged over rows (or one value per row).</summary>
internal sealed class SparseSoftmaxCrossEntropyOp : Op
{
    private readonly int _rows, _classes;
    private readonly bool _perRow;
    private readonly float[] _probs;

    public SparseSoftmaxCrossEntropyOp(Tensor logits, Tensor labels, bool perRow = false) : base(logits, labels)
    {
        if (logits.Rank < 1) throw new ShapeMismatchException("Sparse categorical cross-entropy needs a class axis.");
        _classes = logits.Shape[-1];
        _rows = logits.Size / Math.Max(_classes, 1);
        if (labels.Size != _rows)
            throw new ShapeMismatchException($"Sparse categorical cross-entropy: labels shape {labels.Shape} does not match predictions shape {logits.Shape} (expected one integer label per row, {_rows} in all). For one-hot targets use categorical cross-entropy.");
        _probs = new float[logits.Size];
        _perRow = perRow;
        Output = new Tensor(perRow ? Tensor.RowShape(logits) : new Shape());
    }

    public override string Name => "SparseSoftmaxCrossEntropy";

    /// <summary>The label of row <paramref name="r"/>, validated.</summary>
    internal static int Label(ReadOnlySpan<float> labels, int r, int classes)
    {
        float v = labels[r];
        int c = (int)v;
        if (c != v || c < 0 || c >= classes)
            throw new ArgumentException($"Label {v} at position {r} is out of range: class ids must be integers in [0, {classes}).");
        return c;
    }

    public override void Forward()
    {
        ReadOnlySpan<float> z = Inputs[0].Span, labels = Inputs[1].Span;
        double total = 0;
        for (int r = 0; r < _rows; r++)
        {
            int c = Label(labels, r, _classes);
            var zr = z.Slice(r * _classes, _classes);
            var pr = _probs.AsSpan(r * _classes, _classes);
            var (max, sum) = SoftmaxRow.Forward(zr, pr);
            float row = max + MathF.Log(sum) - zr[c];
            if (_perRow) Output.Span[r] = row;
            total += row;
        }
        if (!_perRow) Output.Span[0] = (float)(total / Math.Max(_rows, 1));
    }

    public override void Backward()
    {
        Tensor logits = Inputs[0];
        if (!logits.RequiresGrad) return;
        ReadOnlySpan<float> gOut = OutGrad;
        float gMean = _perRow ? 0f : gOut[0] / Math.Max(_rows, 1);
        ReadOnlySpan<float> labels = Inputs[1].Span;
        Span<float> gz = GradSpan(logits);
        for (int r = 0; r < _rows; r++)
        {
            float g = _perRow ? gOut[r] : gMean;
            var gr = gz.Slice(r * _classes, _classes);
            TensorPrimitives.MultiplyAdd(_probs.AsSpan(r * _classes, _classes), g, gr, gr);
            gr[(int)labels[r]] -= g;
        }
    }
}

/// <summary>(p, y, g) → g + s·(p·Σy − y): a row of the softmax cross-entropy's logit gradient, s the row's output gradient.</summary>
internal readonly struct SoftmaxCrossEntropyGradAdd(float scale, float targetSum) : ITernaryFunction
{
    private readonly float _scale = scale, _sum = targetSum;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Invoke(float p, float y, float g) => g + _scale * (p * _sum - y);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TV Invoke<TW, TV>(TV p, TV y, TV g) where TW : IVectorWidth<TV> where TV : struct =>
        TW.Add(g, TW.Mul(TW.Splat(_scale), TW.Sub(TW.Mul(p, TW.Splat(_sum)), y)));
}

/// <summary>(z, g) → g + s·(lse − z): the cross-entropy's gradient with respect to the targets (−log p, scaled).</summary>
internal readonly struct CrossEntropyTargetGradAdd(float scale, float logSumExp) : IBinaryFunction
{
    private readonly float _scale = scale, _lse = logSumExp;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Invoke(float z, float g) => g + _scale * (_lse - z);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TV Invoke<TW, TV>(TV z, TV g) where TW : IVectorWidth<TV> where TV : struct =>
        TW.Add(g, TW.Mul(TW.Splat(_scale), TW.Sub(TW.Splat(_lse), z)));
}
