using Praxis.Autograd;

namespace Praxis;

public sealed partial class Tensor
{
    /// <summary>
    /// Inverted dropout: each element is zeroed with probability <paramref name="rate"/> and the survivors are scaled
    /// by 1/(1 − rate), so the expected value is unchanged and inference needs no rescaling. This always drops; the
    /// <c>Dropout</c> layer calls it only in training. The mask is drawn inside the op's forward pass, so a replayed
    /// training step draws a fresh mask each time, from a seed drawn at that step from <paramref name="rng"/> (the
    /// global <see cref="Rng"/> by default): runs are reproducible under <c>Keras.SetRandomSeed</c>, and since all the
    /// randomness lives in a serialisable <see cref="Rng"/>, a checkpoint resumes the same masks.
    /// </summary>
    public Tensor Dropout(float rate, Rng? rng = null) => Engine.Record(new DropoutOp(this, rate, rng));

    /// <summary>
    /// Spatial (channel) dropout, Keras' <c>SpatialDropout1D/2D</c>: x viewed as (N, …, C); each sample's channel is
    /// kept whole (scaled by 1/(1 − rate)) or zeroed whole with probability <paramref name="rate"/>, which is dropout
    /// with Keras' <c>noise_shape</c> (N, 1, …, 1, C). The mask is drawn in every forward pass, as <see cref="Dropout"/>.
    /// </summary>
    public Tensor SpatialDropout(float rate, Rng? rng = null) => Engine.Record(new SpatialDropoutOp(this, rate, rng));
}

/// <summary>y = x · m with m = 1/(1 − rate) with probability 1 − rate, else 0; dy/dx = m.</summary>
internal sealed class DropoutOp : Op
{
    private readonly float[] _mask;
    private readonly uint _threshold; // drop when the 32-bit draw is below rate · 2³²
    private readonly float _scale;
    private SplitMix32 _gen;

    private readonly Rng? _rng;

    public DropoutOp(Tensor x, float rate, Rng? rng) : base(x)
    {
        if (!(rate >= 0f && rate < 1f)) throw new ArgumentOutOfRangeException(nameof(rate), $"Dropout rate must be in [0, 1); got {rate}.");
        _threshold = (uint)Math.Min(rate * 4294967296.0, uint.MaxValue);
        _scale = 1f / (1f - rate);
        _rng = rng;
        _mask = new float[x.Size];
        Output = new Tensor(x.Shape);
    }

    public override void Forward()
    {
        ReadOnlySpan<float> x = Inputs[0].Span;
        Span<float> y = Output.Span;
        var m = _mask.AsSpan();
        // One draw per step from the (serialisable) generator seeds this step's mask stream: checkpoints that save the
        // generator's state resume exactly, wherever the step was recorded.
        _gen = new SplitMix32((uint)(_rng ?? Rng.Global).NextSeed());
        for (int i = 0; i < m.Length; i++)
        {
            // Branch-free keep bit: the subtraction borrows (bit 63 set) exactly when the draw is below the threshold.
            ulong drop = ((ulong)_gen.Next() - _threshold) >> 63;
            m[i] = _scale * (1 - drop);
            y[i] = x[i] * m[i];
        }
    }

    public override void Backward()
    {
        var x = Inputs[0];
        if (!x.RequiresGrad) return;
        System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(OutGrad, _mask, GradSpan(x), GradSpan(x));
    }
}

/// <summary>
/// A small, fast generator for masks (one 64-bit state, SplitMix64 output function truncated to 32 bits): masks need
/// speed and independence between elements, not cryptographic quality.
/// </summary>
internal struct SplitMix32(ulong seed)
{
    private ulong _state = seed * 0x9E3779B97F4A7C15UL + 1;

    public uint Next()
    {
        ulong z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return (uint)((z ^ (z >> 31)) >> 32);
    }
}

/// <summary>
/// y[n, s, c] = x[n, s, c] · m[n, c] with m = 1/(1 − rate) with probability 1 − rate, else 0, drawn per (sample, channel);
/// dy/dx = m. One fused multiply per row of C channels.
/// </summary>
internal sealed class SpatialDropoutOp : Op
{
    private readonly float[] _mask; // (N, C)
    private readonly uint _threshold;
    private readonly float _scale;
    private readonly int _n, _s, _c;
    private readonly Rng? _rng;

    public SpatialDropoutOp(Tensor x, float rate, Rng? rng) : base(x)
    {
        if (!(rate >= 0f && rate < 1f)) throw new ArgumentOutOfRangeException(nameof(rate), $"Spatial dropout rate must be in [0, 1); got {rate}.");
        if (x.Rank < 3) throw new ShapeMismatchException($"Spatial dropout needs (batch, …, channels) with at least one axis between; got shape {x.Shape}.");
        _threshold = (uint)Math.Min(rate * 4294967296.0, uint.MaxValue);
        _scale = 1f / (1f - rate);
        _rng = rng;
        (_n, _s, _c) = (x.Shape[0], x.Shape.SizeOf(1, x.Rank - 1), x.Shape[x.Rank - 1]);
        _mask = new float[_n * _c];
        Output = new Tensor(x.Shape);
    }

    public override string Name => "SpatialDropout";

    public override void Forward()
    {
        var m = _mask.AsSpan();
        var gen = new SplitMix32((uint)(_rng ?? Rng.Global).NextSeed());
        for (int i = 0; i < m.Length; i++) m[i] = _scale * (1 - (((ulong)gen.Next() - _threshold) >> 63));
        ReadOnlySpan<float> x = Inputs[0].Span;
        Span<float> y = Output.Span;
        int block = _s * _c;
        for (int n = 0; n < _n; n++)
        {
            ReadOnlySpan<float> mn = m.Slice(n * _c, _c);
            for (int s = 0; s < _s; s++) System.Numerics.Tensors.TensorPrimitives.Multiply(x.Slice(n * block + s * _c, _c), mn, y.Slice(n * block + s * _c, _c));
        }
    }

    public override void Backward()
    {
        var x = Inputs[0];
        if (!x.RequiresGrad) return;
        Span<float> dx = GradSpan(x);
        ReadOnlySpan<float> dy = OutGrad;
        int block = _s * _c;
        for (int n = 0; n < _n; n++)
        {
            ReadOnlySpan<float> mn = _mask.AsSpan(n * _c, _c);
            for (int s = 0; s < _s; s++)
            {
                var d = dx.Slice(n * block + s * _c, _c);
                System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(dy.Slice(n * block + s * _c, _c), mn, d, d);
            }
        }
    }
}
