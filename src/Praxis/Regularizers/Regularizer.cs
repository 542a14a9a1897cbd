using System.Globalization;

namespace Praxis.Regularizers;

/// <summary>
/// A weight or activity penalty added to the training loss (Keras <c>keras.regularizers.Regularizer</c>).
/// <see cref="Penalty"/> is built from differentiable ops, so inside a recorded step it is replayed with the step and
/// always reads the current weights. Strings work as in Keras: <c>"l1"</c> (L1(0.01)), <c>"l2"</c> (L2(0.01)),
/// <c>"l1_l2"</c> (L1L2(0, 0), Keras 3's defaults).
/// </summary>
public abstract class Regularizer
{
    /// <summary>The Keras class name (<c>L1</c>, <c>L2</c>, <c>L1L2</c>).</summary>
    public abstract string ClassName { get; }

    /// <summary>The penalty of <paramref name="x"/>, a scalar tensor.</summary>
    public abstract Tensor Penalty(Tensor x);

    /// <summary>The constructor arguments under Keras' names.</summary>
    public abstract Dictionary<string, object?> GetConfig();

    /// <summary>The saved form, Keras' <c>{"class_name", "config"}</c>.</summary>
    public object ToConfigValue() => new Dictionary<string, object?> { ["class_name"] = ClassName, ["config"] = GetConfig() };

    /// <summary>A regularizer by Keras name: <c>l1</c>, <c>l2</c>, <c>l1_l2</c> (also the class names L1, L2, L1L2).</summary>
    public static Regularizer Get(string name) => name.ToLowerInvariant() switch
    {
        "l1" => new L1(),
        "l2" => new L2(),
        "l1_l2" or "l1l2" => new L1L2(),
        _ => throw new ArgumentException($"Unknown regularizer '{name}'. Known: l1, l2, l1_l2."),
    };

    /// <summary>A regularizer named by a Keras string.</summary>
    public static implicit operator Regularizer(string name) => Get(name);

    internal static float Check(float v, string who, string arg) =>
        float.IsFinite(v) && v >= 0 ? v : throw new ArgumentOutOfRangeException(arg, $"{who}: {arg} must be finite and >= 0; got {v.ToString(CultureInfo.InvariantCulture)}.");
}

/// <summary>l1 · Σ|x| (Keras <c>L1</c>, default l1 = 0.01).</summary>
public sealed class L1(float l1 = 0.01f) : Regularizer
{
    /// <summary>The factor.</summary>
    public float L1Factor { get; } = Check(l1, "L1", "l1");

    /// <inheritdoc />
    public override string ClassName => "L1";

    /// <inheritdoc />
    public override Tensor Penalty(Tensor x) => x.Abs().Sum() * L1Factor;

    /// <inheritdoc />
    public override Dictionary<string, object?> GetConfig() => new() { ["l1"] = L1Factor };
}

/// <summary>l2 · Σx² (Keras <c>L2</c>, default l2 = 0.01; no ½, as Keras).</summary>
public sealed class L2(float l2 = 0.01f) : Regularizer
{
    /// <summary>The factor.</summary>
    public float L2Factor { get; } = Check(l2, "L2", "l2");

    /// <inheritdoc />
    public override string ClassName => "L2";

    /// <inheritdoc />
    public override Tensor Penalty(Tensor x) => x.Square().Sum() * L2Factor;

    /// <inheritdoc />
    public override Dictionary<string, object?> GetConfig() => new() { ["l2"] = L2Factor };
}

/// <summary>l1 · Σ|x| + l2 · Σx² (Keras <c>L1L2</c>; Keras 3's defaults are l1 = 0, l2 = 0).</summary>
public sealed class L1L2(float l1 = 0f, float l2 = 0f) : Regularizer
{
    /// <summary>The L1 factor.</summary>
    public float L1Factor { get; } = Check(l1, "L1L2", "l1");

    /// <summary>The L2 factor.</summary>
    public float L2Factor { get; } = Check(l2, "L1L2", "l2");

    /// <inheritdoc />
    public override string ClassName => "L1L2";

    /// <inheritdoc />
    public override Tensor Penalty(Tensor x)
    {
        Tensor? p = null;
        if (L1Factor != 0f) p = x.Abs().Sum() * L1Factor;
        if (L2Factor != 0f) { var q = x.Square().Sum() * L2Factor; p = p is null ? q : p + q; }
        return p ?? x.Sum() * 0f;
    }

    /// <inheritdoc />
    public override Dictionary<string, object?> GetConfig() => new() { ["l1"] = L1Factor, ["l2"] = L2Factor };
}
