using Praxis.Autograd;

namespace Praxis;

public sealed partial class Tensor
{
    /// <summary>
    /// Samples from a normal distribution (the global <see cref="Rng"/> unless one is given). This is an op with no
    /// inputs: inside a recorded step (<c>Fit</c>, <c>CapturedGraph</c>) every replay draws fresh values, so a layer
    /// such as a VAE's sampling layer (<c>z = mean + exp(0.5·logVar)·ε</c>) gets a new ε for every batch, exactly as an
    /// eager loop would.
    /// </summary>
    public static Tensor RandomNormal(Shape shape, float mean = 0f, float std = 1f, Rng? rng = null) =>
        Engine.Record(new RandomOp(shape, normal: true, mean, std, rng));

    /// <summary>Samples uniformly from [low, high) (the global <see cref="Rng"/> unless one is given); an op, redrawn on every replay.</summary>
    public static Tensor RandomUniform(Shape shape, float low = 0f, float high = 1f, Rng? rng = null) =>
        Engine.Record(new RandomOp(shape, normal: false, low, high, rng));

    /// <summary>Normal samples of <paramref name="like"/>'s shape (for noise added to a batch whose size varies).</summary>
    public static Tensor RandomNormalLike(Tensor like, float mean = 0f, float std = 1f, Rng? rng = null) =>
        RandomNormal(like.Shape, mean, std, rng);
}

/// <summary>
/// Random values drawn in <see cref="Forward"/>: normal (a = mean, b = standard deviation) or uniform in [a, b). The
/// generator is looked up at each draw (the given one, else <see cref="Rng.Global"/> as it is then), so
/// <c>Keras.SetRandomSeed</c> after recording still applies and checkpoints that save the generator resume the same draws.
/// The output never requires grad: nothing flows back into a random source.
/// </summary>
internal sealed class RandomOp : Op
{
    private readonly bool _normal;
    private readonly float _a, _b;
    private readonly Rng? _rng;

    public RandomOp(Shape shape, bool normal, float a, float b, Rng? rng)
    {
        if (normal && !(b >= 0)) throw new ArgumentOutOfRangeException(nameof(b), $"RandomNormal: std must be >= 0; got {b}.");
        if (!normal && !(b >= a)) throw new ArgumentOutOfRangeException(nameof(b), $"RandomUniform: high ({b}) must be >= low ({a}).");
        _normal = normal;
        _a = a;
        _b = b;
        _rng = rng;
        Output = new Tensor(shape);
    }

    public override string Name => _normal ? "RandomNormal" : "RandomUniform";

    public override void Forward()
    {
        var rng = _rng ?? Rng.Global;
        if (_normal) rng.FillNormal(Output.Span, _a, _b);
        else rng.FillUniform(Output.Span, _a, _b);
    }

    public override void Backward() { }
}
