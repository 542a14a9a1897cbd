using System.Globalization;
using System.Numerics;

namespace Praxis;

/// <summary>
/// The random generator behind initializers, shuffling, dropout and sampling. Seed it with
/// <see cref="SetSeed"/> (like <c>keras.utils.set_random_seed</c> / <c>torch.manual_seed</c>) for reproducible runs.
/// </summary>
/// <remarks>
/// The algorithm is xoshiro256** (Blackman and Vigna, 2018): 256 bits of state, period 2²⁵⁶ − 1, seeded through
/// SplitMix64 from the 32-bit seed. Unlike <see cref="System.Random"/>, its whole state can be read and restored
/// (<see cref="GetState"/>, <see cref="SetState"/>), which is what lets a checkpoint resume training exactly.
/// The sequences for a given seed are fixed by this documented algorithm and do not depend on the .NET version.
/// </remarks>
public sealed class Rng
{
    private ulong _s0, _s1, _s2, _s3;
    private double _spare;
    private bool _hasSpare;

    /// <summary>Creates a generator; a seed makes its sequence reproducible.</summary>
    public Rng(int? seed = null) => Seed(seed is int s ? (ulong)(uint)s : unchecked((ulong)Random.Shared.NextInt64()) ^ (ulong)Environment.TickCount64);

    /// <summary>The process-wide generator used when no generator is passed explicitly.</summary>
    public static Rng Global { get; internal set; } = new();

    /// <summary>Reseeds the global generator (and so every default initializer, shuffle and dropout mask).</summary>
    public static void SetSeed(int seed) => Global = new Rng(seed);

    private void Seed(ulong seed)
    {
        // SplitMix64 spreads a small seed over the 256-bit state and never yields the all-zero state from it.
        ulong x = seed;
        _s0 = SplitMix(ref x); _s1 = SplitMix(ref x); _s2 = SplitMix(ref x); _s3 = SplitMix(ref x);
        _hasSpare = false;
        _spare = 0;
    }

    private static ulong SplitMix(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>The next 64 random bits (xoshiro256**).</summary>
    public ulong NextUInt64()
    {
        ulong result = BitOperations.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = BitOperations.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform float in [low, high).</summary>
    public float Uniform(float low, float high) => (float)(low + (high - low) * NextDouble());

    /// <summary>Uniform integer in [0, maxExclusive), without modulo bias (0 when <paramref name="maxExclusive"/> is 0, as <see cref="Random.Next(int)"/>).</summary>
    public int NextInt(int maxExclusive)
    {
        if (maxExclusive < 0) throw new ArgumentOutOfRangeException(nameof(maxExclusive), $"maxExclusive must be >= 0; got {maxExclusive}.");
        if (maxExclusive <= 1) return 0;
        // Lemire's multiply-shift with rejection of the biased low region.
        ulong range = (ulong)maxExclusive;
        ulong threshold = (0UL - range) % range;
        while (true)
        {
            ulong hi = Math.BigMul(NextUInt64(), range, out ulong lo);
            if (lo >= threshold) return (int)hi;
        }
    }

    /// <summary>A fresh 31-bit seed drawn from this generator (for child generators).</summary>
    public int NextSeed() => (int)(NextUInt64() >> 33);

    /// <summary>Standard normal sample (Box–Muller, with the spare value cached).</summary>
    public double Normal()
    {
        if (_hasSpare) { _hasSpare = false; return _spare; }
        double u1;
        do u1 = NextDouble(); while (u1 <= double.Epsilon);
        double u2 = NextDouble();
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
            int j = NextInt(i + 1);
            (values[i], values[j]) = (values[j], values[i]);
        }
    }

    // ------------------------------------------------------------------ state

    /// <summary>
    /// The generator's complete state as text (four 64-bit words and the cached normal sample), for checkpoints:
    /// <c>SetState(GetState())</c> on any generator makes it continue exactly where this one is.
    /// </summary>
    public string GetState() => string.Create(CultureInfo.InvariantCulture,
        $"xoshiro256**:{_s0:x16}:{_s1:x16}:{_s2:x16}:{_s3:x16}:{(_hasSpare ? BitConverter.DoubleToInt64Bits(_spare) : 0):x16}:{(_hasSpare ? 1 : 0)}");

    /// <summary>Restores a state from <see cref="GetState"/>; a malformed string raises <see cref="FormatException"/>.</summary>
    public void SetState(string state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var parts = state.Split(':');
        if (parts.Length != 7 || parts[0] != "xoshiro256**")
            throw new FormatException($"Not a Praxis random state: expected 'xoshiro256**:' and six fields; got '{Clip(state)}'.");
        var w = new ulong[5];
        for (int i = 0; i < 5; i++)
            if (parts[i + 1].Length != 16 || !ulong.TryParse(parts[i + 1], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out w[i]))
                throw new FormatException($"Random state field {i + 1} must be 16 hex digits; got '{Clip(parts[i + 1])}'.");
        if (parts[6] is not ("0" or "1")) throw new FormatException($"Random state flag must be 0 or 1; got '{Clip(parts[6])}'.");
        if ((w[0] | w[1] | w[2] | w[3]) == 0) throw new FormatException("Random state is all zeros, which xoshiro256** cannot leave.");
        _s0 = w[0]; _s1 = w[1]; _s2 = w[2]; _s3 = w[3];
        _hasSpare = parts[6] == "1";
        _spare = _hasSpare ? BitConverter.Int64BitsToDouble((long)w[4]) : 0;
    }

    private static string Clip(string s) => s.Length <= 80 ? s : s[..80] + "…";
}
