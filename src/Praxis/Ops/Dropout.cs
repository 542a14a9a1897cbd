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

    /// <summary>
    /// A small, fast generator for masks (one 64-bit state, SplitMix64 output function truncated to 32 bits): masks need
    /// speed and independence between elements, not cryptographic quality.
    /// </summary>
    private struct SplitMix32(ulong seed)
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
}
