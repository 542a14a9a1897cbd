namespace Praxis.Initializers;

/// <summary>
/// Fills a new weight tensor. Fans follow Keras: for a (in, out) matrix fan_in = in, fan_out = out; for a kernel
/// (…, in, out) both are multiplied by the receptive field (the product of the leading axes).
/// </summary>
public abstract class Initializer
{
    /// <summary>The Keras name, e.g. <c>glorot_uniform</c>.</summary>
    public abstract string Name { get; }

    /// <summary>Fills <paramref name="tensor"/> in place using <paramref name="rng"/>.</summary>
    public abstract void Fill(Tensor tensor, Rng rng);

    /// <summary>A new tensor of <paramref name="shape"/> filled by this initializer (global generator by default).</summary>
    public Tensor Create(Shape shape, Rng? rng = null)
    {
        var t = new Tensor(shape);
        Fill(t, rng ?? Rng.Global);
        return t;
    }

    /// <summary>Keras' fan computation.</summary>
    public static (double FanIn, double FanOut) ComputeFans(Shape shape)
    {
        if (shape.Rank == 0) return (1, 1);
        if (shape.Rank == 1) return (shape[0], shape[0]);
        if (shape.Rank == 2) return (shape[0], shape[1]);
        double receptive = shape.SizeOf(0, shape.Rank - 2);
        return (shape[-2] * receptive, shape[-1] * receptive);
    }

    /// <summary>Parameters for serialization (Keras <c>get_config</c>).</summary>
    public virtual Dictionary<string, object?> GetConfig() => new();

    /// <summary>
    /// What a layer's <c>GetConfig</c> stores for this initializer (Keras <c>initializers.serialize</c>): the name
    /// when it has no parameters (<c>"glorot_uniform"</c>), else <c>{"class_name": name, "config": {…}}</c>, so
    /// parameterised initializers such as <c>RandomNormal(stddev: 0.3)</c> survive save/load.
    /// </summary>
    public object ToConfigValue()
    {
        var c = GetConfig();
        return c.Count == 0 ? Name : new Dictionary<string, object?> { ["class_name"] = Name, ["config"] = c };
    }

    /// <summary>
    /// Resolves a Keras initializer name: <c>glorot_uniform</c>, <c>glorot_normal</c>, <c>he_uniform</c>,
    /// <c>he_normal</c>, <c>lecun_uniform</c>, <c>lecun_normal</c>, <c>zeros</c>, <c>ones</c>, <c>random_normal</c>,
    /// <c>random_uniform</c>, <c>truncated_normal</c>, <c>orthogonal</c>, or a name added with <see cref="Register"/>.
    /// </summary>
    public static Initializer Get(string name)
    {
        Func<Initializer>? make;
        lock (Registry)
            if (!Registry.TryGetValue(name, out make))
                throw new ArgumentException($"Unknown initializer '{name}'. Known: {string.Join(", ", Registry.Keys.Order())}.");
        return make();
    }

    /// <summary>Adds a named initializer so strings and saved configs can refer to it.</summary>
    public static void Register(string name, Func<Initializer> factory)
    {
        lock (Registry) Registry[name] = factory;
    }

    private static readonly Dictionary<string, Func<Initializer>> Registry = new(StringComparer.OrdinalIgnoreCase)
    {
        ["glorot_uniform"] = () => new GlorotUniform(),
        ["glorot_normal"] = () => new GlorotNormal(),
        ["he_uniform"] = () => new HeUniform(),
        ["he_normal"] = () => new HeNormal(),
        ["lecun_uniform"] = () => new LecunUniform(),
        ["lecun_normal"] = () => new LecunNormal(),
        ["zeros"] = () => new Zeros(),
        ["ones"] = () => new Ones(),
        ["random_normal"] = () => new RandomNormal(),
        ["random_uniform"] = () => new RandomUniform(),
        ["truncated_normal"] = () => new TruncatedNormal(),
        ["orthogonal"] = () => new Orthogonal(),
    };

    /// <summary>An initializer given as a Keras string or an object.</summary>
    public static implicit operator Initializer(string name) => Get(name);
}

/// <summary>
/// Variance scaling (Keras <c>VarianceScaling</c>): variance = scale / n where n is fan_in, fan_out or their mean;
/// "uniform" draws from ±√(3·variance), "truncated_normal" from a normal truncated at 2σ with σ corrected by
/// 0.87962566103423978 so the truncated variance is right.
/// </summary>
public class VarianceScaling : Initializer
{
    /// <summary>Creates the initializer.</summary>
    public VarianceScaling(double scale = 1.0, string mode = "fan_in", string distribution = "truncated_normal")
    {
        Scale = scale; Mode = mode; Distribution = distribution;
    }

    /// <summary>The variance scale.</summary>
    public double Scale { get; }

    /// <summary><c>fan_in</c>, <c>fan_out</c> or <c>fan_avg</c>.</summary>
    public string Mode { get; }

    /// <summary><c>truncated_normal</c>, <c>untruncated_normal</c> or <c>uniform</c>.</summary>
    public string Distribution { get; }

    /// <inheritdoc />
    public override string Name => "variance_scaling";

    /// <inheritdoc />
    public override void Fill(Tensor tensor, Rng rng)
    {
        var (fanIn, fanOut) = ComputeFans(tensor.Shape);
        double n = Mode switch
        {
            "fan_in" => fanIn,
            "fan_out" => fanOut,
            "fan_avg" => (fanIn + fanOut) / 2,
            _ => throw new ArgumentException($"Unknown variance-scaling mode '{Mode}'."),
        };
        double variance = Scale / Math.Max(1.0, n);
        switch (Distribution)
        {
            case "uniform":
                float limit = (float)Math.Sqrt(3 * variance);
                rng.FillUniform(tensor.Span, -limit, limit);
                break;
            case "truncated_normal":
                rng.FillTruncatedNormal(tensor.Span, 0f, (float)(Math.Sqrt(variance) / 0.87962566103423978));
                break;
            case "untruncated_normal":
                rng.FillNormal(tensor.Span, 0f, (float)Math.Sqrt(variance));
                break;
            default: throw new ArgumentException($"Unknown variance-scaling distribution '{Distribution}'.");
        }
    }
}

/// <summary>Glorot (Xavier) uniform, the Keras default kernel initializer: U(−l, l), l = √(6 / (fan_in + fan_out)).</summary>
public sealed class GlorotUniform() : VarianceScaling(1.0, "fan_avg", "uniform")
{
    /// <inheritdoc />
    public override string Name => "glorot_uniform";
}

/// <summary>Glorot normal: truncated normal with σ = √(2 / (fan_in + fan_out)).</summary>
public sealed class GlorotNormal() : VarianceScaling(1.0, "fan_avg", "truncated_normal")
{
    /// <inheritdoc />
    public override string Name => "glorot_normal";
}

/// <summary>He uniform: U(−l, l), l = √(6 / fan_in).</summary>
public sealed class HeUniform() : VarianceScaling(2.0, "fan_in", "uniform")
{
    /// <inheritdoc />
    public override string Name => "he_uniform";
}

/// <summary>He normal: truncated normal with σ = √(2 / fan_in).</summary>
public sealed class HeNormal() : VarianceScaling(2.0, "fan_in", "truncated_normal")
{
    /// <inheritdoc />
    public override string Name => "he_normal";
}

/// <summary>LeCun uniform: U(−l, l), l = √(3 / fan_in).</summary>
public sealed class LecunUniform() : VarianceScaling(1.0, "fan_in", "uniform")
{
    /// <inheritdoc />
    public override string Name => "lecun_uniform";
}

/// <summary>LeCun normal: truncated normal with σ = √(1 / fan_in).</summary>
public sealed class LecunNormal() : VarianceScaling(1.0, "fan_in", "truncated_normal")
{
    /// <inheritdoc />
    public override string Name => "lecun_normal";
}

/// <summary>All zeros (the Keras default bias initializer).</summary>
public sealed class Zeros : Initializer
{
    /// <inheritdoc />
    public override string Name => "zeros";

    /// <inheritdoc />
    public override void Fill(Tensor tensor, Rng rng) => tensor.Zero();
}

/// <summary>All ones.</summary>
public sealed class Ones : Initializer
{
    /// <inheritdoc />
    public override string Name => "ones";

    /// <inheritdoc />
    public override void Fill(Tensor tensor, Rng rng) => tensor.Fill(1f);
}

/// <summary>A constant value.</summary>
public sealed class Constant(float value) : Initializer
{
    /// <summary>The value.</summary>
    public float Value { get; } = value;

    /// <inheritdoc />
    public override string Name => "constant";

    /// <inheritdoc />
    public override void Fill(Tensor tensor, Rng rng) => tensor.Fill(Value);

    /// <inheritdoc />
    public override Dictionary<string, object?> GetConfig() => new() { ["value"] = Value };
}

/// <summary>Normal with Keras defaults mean 0, σ 0.05.</summary>
public sealed class RandomNormal(float mean = 0f, float stddev = 0.05f) : Initializer
{
    /// <summary>The mean.</summary>
    public float Mean { get; } = mean;

    /// <summary>The standard deviation.</summary>
    public float Stddev { get; } = stddev;

    /// <inheritdoc />
    public override string Name => "random_normal";

    /// <inheritdoc />
    public override void Fill(Tensor tensor, Rng rng) => rng.FillNormal(tensor.Span, Mean, Stddev);

    /// <inheritdoc />
    public override Dictionary<string, object?> GetConfig() => new() { ["mean"] = Mean, ["stddev"] = Stddev };
}

/// <summary>Uniform with Keras defaults [−0.05, 0.05).</summary>
public sealed class RandomUniform(float minval = -0.05f, float maxval = 0.05f) : Initializer
{
    /// <summary>The lower bound.</summary>
    public float Minval { get; } = minval;

    /// <summary>The upper bound.</summary>
    public float Maxval { get; } = maxval;

    /// <inheritdoc />
    public override string Name => "random_uniform";

    /// <inheritdoc />
    public override void Fill(Tensor tensor, Rng rng) => rng.FillUniform(tensor.Span, Minval, Maxval);

    /// <inheritdoc />
    public override Dictionary<string, object?> GetConfig() => new() { ["minval"] = Minval, ["maxval"] = Maxval };
}

/// <summary>Normal truncated at 2σ, Keras defaults mean 0, σ 0.05.</summary>
public sealed class TruncatedNormal(float mean = 0f, float stddev = 0.05f) : Initializer
{
    /// <summary>The mean.</summary>
    public float Mean { get; } = mean;

    /// <summary>The standard deviation before truncation.</summary>
    public float Stddev { get; } = stddev;

    /// <inheritdoc />
    public override string Name => "truncated_normal";

    /// <inheritdoc />
    public override void Fill(Tensor tensor, Rng rng) => rng.FillTruncatedNormal(tensor.Span, Mean, Stddev);

    /// <inheritdoc />
    public override Dictionary<string, object?> GetConfig() => new() { ["mean"] = Mean, ["stddev"] = Stddev };
}

/// <summary>
/// Orthogonal (Keras' default recurrent kernel initializer): the Q factor of a QR decomposition of a normal matrix
/// (sign-corrected so it is uniformly distributed), reshaped to the weight, times <c>gain</c>.
/// </summary>
public sealed class Orthogonal(float gain = 1f) : Initializer
{
    /// <summary>The multiplier.</summary>
    public float Gain { get; } = gain;

    /// <inheritdoc />
    public override string Name => "orthogonal";

    /// <inheritdoc />
    public override void Fill(Tensor tensor, Rng rng)
    {
        if (tensor.Rank < 2) throw new ArgumentException($"Orthogonal initializer needs a weight of rank >= 2; got {tensor.Shape}.");
        int cols = tensor.Shape[-1];
        int rows = tensor.Size / cols;
        // Work on the tall orientation (r ≥ c), orthonormalise columns with modified Gram–Schmidt in double.
        bool flip = rows < cols;
        int r = flip ? cols : rows, c = flip ? rows : cols;
        var a = new double[r * c];
        for (int i = 0; i < a.Length; i++) a[i] = rng.Normal();
        for (int j = 0; j < c; j++)
        {
            for (int p = 0; p < j; p++)
            {
                double dot = 0;
                for (int i = 0; i < r; i++) dot += a[i * c + j] * a[i * c + p];
                for (int i = 0; i < r; i++) a[i * c + j] -= dot * a[i * c + p];
            }
            double norm = 0;
            for (int i = 0; i < r; i++) norm += a[i * c + j] * a[i * c + j];
            norm = Math.Sqrt(norm);
            for (int i = 0; i < r; i++) a[i * c + j] /= norm;
        }
        var s = tensor.Span;
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++)
                s[i * cols + j] = (float)(Gain * (flip ? a[j * c + i] : a[i * c + j]));
    }

    /// <inheritdoc />
    public override Dictionary<string, object?> GetConfig() => new() { ["gain"] = Gain };
}
