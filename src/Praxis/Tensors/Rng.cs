namespace Praxis;

/// <summary>
/// The random generator behind initializers, shuffling, dropout and sampling. Seed it with
/// <see cref="SetSeed"/> (like <c>keras.utils.set_random_seed</c> / <c>torch.manual_seed</c>) for reproducible runs.
/// </summary>
public sealed class Rng
{
    private Random _random;
    private double _spare;
    private bool _hasSpare;

    /// <summary>Creates a generator; a seed makes its sequence reproducible.</summary>
    public Rng(int? seed = null) => _random = seed is int s ? new Random(s) : new Random();

    /// <summary>The process-wide generator used when no generator is passed explicitly.</summary>
    public static Rng Global { get; private set; } = new();

    /// <summary>Reseeds the global generator (and so every default initializer, shuffle and dropout mask).</summary>
    public static void SetSeed(int seed) => Global = new Rng(seed);

    /// <summary>Uniform in [0, 1).</summary>
    public double NextDouble() => _random.NextDouble();

    /// <summary>Uniform float in [low, high).</summary>
    public float Uniform(float low, float high) => (float)(low + (high - low) * _random.NextDouble());

    /// <summary>Uniform integer in [0, maxExclusive).</summary>
    public int NextInt(int maxExclusive) => _random.Next(maxExclusive);

    /// <summary>A fresh 31-bit seed drawn from this generator (for child generators).</summary>
    public int NextSeed() => _random.Next();

    /// <summary>Standard normal sample (Box–Muller, with the spare value cached).</summary>
    public double Normal()
    {
        if (_hasSpare) { _hasSpare = false; return _spare; }
        double u1;
        do u1 = _random.NextDouble(); while (u1 <= double.Epsilon);
        double u2 = _random.NextDouble();
        double r = Math.Sqrt(-2.0 * Math.Log(u1));
        _spare = r * Math.Sin(2 * Math.PI * u2);
        _hasSpare = true;
        return r * Math.Cos(2 * Math.PI * u2);
    }

    /// <summary>Fills with uniform values in [low, high).</summary>
    public void FillUniform(Span<float> dest, float low, float high)
    {
        for (int i = 0; i < dest.Length; i++) dest[i] = Uniform(low, high);
    }

    /// <summary>Fills with normal values of the given mean and standard deviation.</summary>
    public void FillNormal(Span<float> dest, float mean, float std)
    {
        for (int i = 0; i < dest.Length; i++) dest[i] = (float)(mean + std * Normal());
    }

    /// <summary>Fills with a normal distribution truncated at two standard deviations (Keras' TruncatedNormal).</summary>
    public void FillTruncatedNormal(Span<float> dest, float mean, float std)
    {
        for (int i = 0; i < dest.Length; i++)
        {
            double z;
            do z = Normal(); while (Math.Abs(z) > 2.0);
            dest[i] = (float)(mean + std * z);
        }
    }

    /// <summary>Fisher–Yates shuffle in place.</summary>
    public void Shuffle(Span<int> values)
    {
        for (int i = values.Length - 1; i > 0; i--)
        {
            int j = _random.Next(i + 1);
            (values[i], values[j]) = (values[j], values[i]);
        }
    }
}
