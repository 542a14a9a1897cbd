using Praxis.Autograd;

namespace Praxis;

/// <summary>How integer ids are written out (Keras' <c>output_mode</c> of the lookup and encoding layers).</summary>
internal enum EncodingMode { Int, OneHot, MultiHot, Count }

public sealed partial class Tensor
{
    /// <summary>
    /// Keras <c>CategoryEncoding</c>: integer ids (stored as floats) in [0, depth) → one-hot (N) or (N, 1) → (N, depth);
    /// multi-hot or counts (N, k) → (N, depth). Not differentiable (ids are discrete); an id outside the range is an
    /// error naming its position.
    /// </summary>
    public Tensor CategoryEncoding(int depth, string outputMode = "multi_hot") =>
        Engine.Record(new CategoryEncodingOp(this, depth, EncodingModes.Parse(outputMode, "CategoryEncoding", allowInt: false), null, -1, "CategoryEncoding"));

    internal Tensor Encode(int depth, EncodingMode mode, IReadOnlyDictionary<long, int>? lookup, int oovIndex, string who) =>
        Engine.Record(new CategoryEncodingOp(this, depth, mode, lookup, oovIndex, who));
}

internal static class EncodingModes
{
    public static EncodingMode Parse(string mode, string who, bool allowInt) => mode.ToLowerInvariant() switch
    {
        "int" when allowInt => EncodingMode.Int,
        "one_hot" => EncodingMode.OneHot,
        "multi_hot" => EncodingMode.MultiHot,
        "count" => EncodingMode.Count,
        _ => throw new ArgumentException($"{who}: output_mode must be {(allowInt ? "'int', " : "")}'one_hot', 'multi_hot' or 'count'; got '{mode}'."),
    };

    public static string Name(EncodingMode m) => m switch
    {
        EncodingMode.Int => "int", EncodingMode.OneHot => "one_hot", EncodingMode.MultiHot => "multi_hot", _ => "count",
    };
}

/// <summary>
/// Optionally maps raw integer values through a lookup table (IntegerLookup: unknown values → the OOV index, −1 for
/// none), then writes ids (same shape), one-hot, multi-hot or count vectors. Computed in <see cref="Forward"/> so a
/// replayed step encodes each new batch.
/// </summary>
internal sealed class CategoryEncodingOp : Op
{
    private readonly int _depth, _rows, _perRow, _oov;
    private readonly EncodingMode _mode;
    private readonly IReadOnlyDictionary<long, int>? _lookup;
    private readonly string _who;

    public CategoryEncodingOp(Tensor x, int depth, EncodingMode mode, IReadOnlyDictionary<long, int>? lookup, int oovIndex, string who) : base(x)
    {
        (_depth, _mode, _lookup, _oov, _who) = (depth, mode, lookup, oovIndex, who);
        if (mode != EncodingMode.Int && depth <= 0) throw new ArgumentOutOfRangeException(nameof(depth), $"{who}: num_tokens must be positive; got {depth}.");
        switch (mode)
        {
            case EncodingMode.Int:
                Output = new Tensor(x.Shape);
                (_rows, _perRow) = (1, x.Size);
                break;
            case EncodingMode.OneHot:
                if (!(x.Rank == 1 || (x.Rank == 2 && x.Shape[1] == 1)))
                    throw new ShapeMismatchException($"{who}: output_mode 'one_hot' takes one id per sample, shape (batch) or (batch, 1); got {x.Shape}. Use 'multi_hot' or 'count' for several ids per sample.");
                (_rows, _perRow) = (x.Shape[0], 1);
                Output = new Tensor(new Shape(_rows, depth));
                break;
            default:
                if (x.Rank != 2)
                    throw new ShapeMismatchException($"{who}: output_mode '{EncodingModes.Name(mode)}' takes (batch, ids) input; got {x.Shape}. Reshape a (batch) input to (batch, 1).");
                (_rows, _perRow) = (x.Shape[0], x.Shape[1]);
                Output = new Tensor(new Shape(_rows, depth));
                break;
        }
    }

    public override string Name => "CategoryEncoding";

    private int Id(float v, int position)
    {
        if (_lookup != null)
        {
            if (!float.IsFinite(v) || v != MathF.Round(v))
                throw new ArgumentException($"{_who}: expects integer values; got {v} at flat position {position}.");
            if (_lookup.TryGetValue((long)v, out int id)) return id;
            if (_oov < 0) throw new ArgumentException($"{_who}: value {v} at flat position {position} is not in the vocabulary and num_oov_indices is 0.");
            return _oov;
        }
        int i = (int)v;
        if (v != i || i < 0 || i >= _depth)
            throw new ArgumentException($"{_who}: ids must be integers in [0, {_depth}); got {v} at flat position {position}.");
        return i;
    }

    public override void Forward()
    {
        ReadOnlySpan<float> x = Inputs[0].Span;
        Span<float> y = Output.Span;
        if (_mode == EncodingMode.Int)
        {
            for (int i = 0; i < x.Length; i++) y[i] = Id(x[i], i);
            return;
        }
        y.Clear();
        for (int r = 0; r < _rows; r++)
        {
            Span<float> row = y.Slice(r * _depth, _depth);
            for (int j = 0; j < _perRow; j++)
            {
                int p = r * _perRow + j;
                int id = Id(x[p], p);
                if (id >= _depth) throw new ArgumentException($"{_who}: id {id} (from {x[p]} at flat position {p}) is outside [0, {_depth}).");
                if (_mode == EncodingMode.Count) row[id] += 1f;
                else row[id] = 1f;
            }
        }
    }

    public override void Backward() { } // ids are discrete: no gradient
}
