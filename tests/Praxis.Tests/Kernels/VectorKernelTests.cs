using System.Runtime.Intrinsics;
using Praxis.Kernels;
using Praxis.Optimizers;

namespace Praxis.Tests.Kernels;

/// <summary>
/// The kernels moved onto the width-generic drivers (optimizer updates, activations, cross-entropy backward, the 128-bit
/// exponential) against their scalar rules at lengths that leave every kind of tail; CI reruns this file under each
/// instruction set, so each width is compared with the scalar form on every commit.
/// </summary>
public class VectorKernelTests
{
    public static readonly TheoryData<int> Lengths = new() { 1, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33, 63, 65, 100 };

    private static float[] Random(Random rng, int n, double lo = -3, double hi = 3) =>
        Enumerable.Range(0, n).Select(_ => (float)(lo + rng.NextDouble() * (hi - lo))).ToArray();

    // ---- the 128-bit exponential ----

    [Fact]
    public void Exp128IsWithinTwoUlpOfTheTrueExponentialOverTheWholeRange()
    {
        var xs = new List<float>();
        for (double x = -110; x <= 90; x += 0.0137) xs.Add((float)x);
        xs.AddRange([0f, -0f, 1e-8f, -1e-8f, 88.72f, 88.7228f, -87.3f, -103.9f, float.Epsilon]);
        foreach (float x in xs)
        {
            float got = Simd.Exp(Vector128.Create(x)).GetElement(0);
            double want = Math.Exp(x);
            if (want > float.MaxValue) Assert.True(float.IsPositiveInfinity(got), $"exp({x}) = {got}, expected ∞");
            else if (want < 1.1754944e-38) Assert.True(Math.Abs(got - want) <= 1.5e-45 * 2, $"exp({x}) = {got}, expected {want} (subnormal)");
            else Assert.True(Math.Abs(got - want) <= 2.4e-7 * want, $"exp({x}) = {got:R}, expected {want:R}");
        }
    }

    [Fact]
    public void Exp128KeepsTheSpecialValues()
    {
        var got = Simd.Exp(Vector128.Create(float.NaN, float.PositiveInfinity, float.NegativeInfinity, 0f));
        Assert.True(float.IsNaN(got[0]));
        Assert.Equal(float.PositiveInfinity, got[1]);
        Assert.Equal(0f, got[2]);
        Assert.Equal(1f, got[3]);
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void ExpAndSigmoidMatchMathFAtEveryTail(int n)
    {
        var rng = new Random(n);
        float[] x = Random(rng, n, -20, 20);
        var e = new float[n];
        var s = new float[n];
        Elementwise.Exp(x, e);
        Elementwise.Sigmoid(x, s);
        for (int i = 0; i < n; i++)
        {
            Assert.Equal(MathF.Exp(x[i]), e[i], 4e-7f * MathF.Exp(x[i]));
            Assert.Equal(1.0 / (1.0 + Math.Exp(-x[i])), s[i], 3e-7);
        }
    }

    [Fact]
    public void TanhIsCloseToTheTrueTanhOnBothSidesOfItsBranchPoint()
    {
        var xs = new List<float>();
        for (double v = -12; v <= 12; v += 0.00731) xs.Add((float)v);
        xs.AddRange([0.625f, -0.625f, 0.62499994f, 1e-6f, -1e-30f, 50f, -50f, float.PositiveInfinity, float.NegativeInfinity]);
        var x = xs.ToArray();
        var y = new float[x.Length];
        Elementwise.Tanh(x, y); // the vector body for most, the scalar form for the tail
        var scalar = x.Select(default(TanhFunction).Invoke).ToArray();
        for (int i = 0; i < x.Length; i++)
        {
            double want = Math.Tanh(x[i]);
            Assert.True(Math.Abs(y[i] - want) <= 3e-7 * Math.Abs(want) + 1e-38, $"tanh({x[i]:R}) = {y[i]:R}, expected {want:R}");
            Assert.True(Math.Abs(scalar[i] - want) <= 3e-7 * Math.Abs(want) + 1e-38, $"scalar tanh({x[i]:R}) = {scalar[i]:R}");
        }
        var nan = new float[9];
        nan[8] = float.NaN;
        nan[2] = float.NaN;
        Elementwise.Tanh(nan, nan);
        Assert.True(float.IsNaN(nan[2]) && float.IsNaN(nan[8]));
    }

    // ---- activations: the vector form against the scalar form of the same struct ----

    private static void SameAsScalar<TF>(TF f, float[] x, float tolerance) where TF : struct, IUnaryFunction
    {
        var y = new float[x.Length];
        Elementwise.Unary(f, x, y);
        for (int i = 0; i < x.Length; i++) Assert.Equal(f.Invoke(x[i]), y[i], tolerance * Math.Max(1f, MathF.Abs(y[i])));
    }

    private static void SameAsScalar<TF>(TF f, float[] a, float[] b, float[] c, float tolerance) where TF : struct, ITernaryFunction
    {
        var dst = (float[])c.Clone();
        Elementwise.Ternary(f, a, b, dst, dst); // in place, as the ops call it
        for (int i = 0; i < a.Length; i++) Assert.Equal(f.Invoke(a[i], b[i], c[i]), dst[i], tolerance * Math.Max(1f, MathF.Abs(dst[i])));
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void ActivationsMatchTheirScalarRules(int n)
    {
        var rng = new Random(10 + n);
        float[] x = Random(rng, n), dy = Random(rng, n), g = Random(rng, n);
        x[0] = 0f; // the boundary belongs to the negative side in every rule
        // Selects and products: the same bits at every width.
        SameAsScalar(new LeakyReluFunction(0.2f), x, 0f);
        SameAsScalar(new LeakyReluGradAdd(0.2f), x, dy, g, 0f);
        // Exponentials: within a few ulp of MathF.Exp.
        SameAsScalar(new EluFunction(1.3f), x, 1e-6f);
        SameAsScalar(default(SwishFunction), x, 1e-6f);
        SameAsScalar(default(SwishGradAdd), x, dy, g, 1e-6f);
        SameAsScalar(default(GeluTanhFunction), x, 1e-6f);
        SameAsScalar(default(GeluTanhGradAdd), x, dy, g, 1e-6f);
        var y = new float[n];
        Elementwise.Unary(new EluFunction(1.3f), x, y);
        var acc = (float[])g.Clone();
        Elementwise.Quaternary(new EluGradAdd(1.3f), x, y, dy, acc, acc);
        for (int i = 0; i < n; i++)
            Assert.Equal(g[i] + (x[i] > 0f ? dy[i] : dy[i] * (y[i] + 1.3f)), acc[i]);
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void AdamUpdateGivesTheScalarBitsAtEveryTail(int n)
    {
        // The vector loop runs two vectors an iteration, then one, then scalars: every element must get the scalar
        // expression's exact bits whichever part of the loop it falls in.
        var rng = new Random(20 + n);
        float[] w = Random(rng, n), g = Random(rng, n), m = Random(rng, n, -0.1, 0.1), v = Random(rng, n, 0, 0.5);
        float[] wr = (float[])w.Clone(), mr = (float[])m.Clone(), vr = (float[])v.Clone();
        const float alpha = 3e-3f, b1 = 0.9f, b2 = 0.999f, eps = 1e-7f;
        for (int step = 0; step < 3; step++)
        {
            Adam.AdamUpdate(w, g, m, v, alpha, b1, b2, eps);
            for (int i = 0; i < n; i++)
            {
                mr[i] += (g[i] - mr[i]) * (1f - b1);
                vr[i] += (g[i] * g[i] - vr[i]) * (1f - b2);
                wr[i] -= alpha * mr[i] / (MathF.Sqrt(vr[i]) + eps);
            }
        }
        Assert.Equal(mr, m);
        Assert.Equal(vr, v);
        Assert.Equal(wr, w);
    }

    [Fact]
    public void AdamUpdateRefusesShortState()
    {
        var ex = Assert.Throws<ArgumentException>(() => Adam.AdamUpdate(new float[40], new float[40], new float[40], new float[39], 1e-3f, 0.9f, 0.999f, 1e-7f));
        Assert.Contains("(40, 39)", ex.Message);
    }

    [Fact]
    public void ActivationOpsGiveTheTextbookValues()
    {
        var x = Tensor.FromArray([-3f, -0.5f, 0f, 0.5f, 2f, -1f, 4f, -2f, 1f, 3f, -4f], 11);
        float[] xs = x.ToArray();
        float[] leaky = x.LeakyRelu(0.1f).ToArray(), elu = x.Elu(0.5f).ToArray(), swish = x.Swish().ToArray();
        float[] gelu = x.Gelu(approximate: true).ToArray(), tanh = x.Tanh().ToArray(), sigmoid = x.Sigmoid().ToArray();
        for (int i = 0; i < xs.Length; i++)
        {
            double v = xs[i];
            Assert.Equal(v > 0 ? v : 0.1 * v, leaky[i], 1e-6);
            Assert.Equal(v > 0 ? v : 0.5 * (Math.Exp(v) - 1), elu[i], 1e-6);
            Assert.Equal(v / (1 + Math.Exp(-v)), swish[i], 1e-6);
            Assert.Equal(0.5 * v * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v))), gelu[i], 1e-6);
            Assert.Equal(Math.Tanh(v), tanh[i], 1e-6);
            Assert.Equal(1 / (1 + Math.Exp(-v)), sigmoid[i], 1e-6);
        }
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void MaskedSoftmaxIgnoresWhatTheMaskDropsEvenWhenItIsHuge(int n)
    {
        var rng = new Random(30 + n);
        float[] x = Random(rng, 2 * n), keep = Enumerable.Range(0, 2 * n).Select(i => i % 3 == 1 ? 0f : 1f).ToArray();
        for (int i = 0; i < x.Length; i++) if (keep[i] == 0f) x[i] = 1e30f; // would overflow e^(x − max) if it were used
        float[] p = Tensor.FromArray(x, 2, n).MaskedSoftmax(Tensor.FromArray(keep, 2, n)).ToArray();
        for (int r = 0; r < 2; r++)
        {
            var kept = Enumerable.Range(r * n, n).Where(i => keep[i] != 0f).ToArray();
            if (kept.Length == 0) continue; // an all-masked row is uniform (tested in SequenceOpTests)
            double max = kept.Max(i => x[i]), sum = kept.Sum(i => Math.Exp(x[i] - max));
            for (int i = r * n; i < (r + 1) * n; i++)
                Assert.Equal(keep[i] != 0f ? Math.Exp(x[i] - max) / sum : 0.0, p[i], 1e-6);
        }
    }

    // ---- cross-entropy backward rows ----

    [Theory]
    [MemberData(nameof(Lengths))]
    public void CrossEntropyGradientRowsMatchTheScalarRule(int n)
    {
        var rng = new Random(20 + n);
        float[] p = Random(rng, n, 0, 1), y = Random(rng, n, 0, 1), g = Random(rng, n), z = Random(rng, n);
        var f = new SoftmaxCrossEntropyGradAdd(0.25f, 1.5f);
        var dst = (float[])g.Clone();
        Elementwise.Ternary(f, p, y, dst, dst);
        var t = new CrossEntropyTargetGradAdd(0.25f, 2.5f);
        var dt = (float[])g.Clone();
        Elementwise.Binary(t, z, dt, dt);
        for (int i = 0; i < n; i++)
        {
            Assert.Equal(g[i] + 0.25f * (p[i] * 1.5f - y[i]), dst[i]);
            Assert.Equal(g[i] + 0.25f * (2.5f - z[i]), dt[i]);
        }
    }

    // ---- optimizer updates: the driver against a lane-by-lane scalar loop, bit for bit ----

    private static void Rule1SameAsScalar<TRule>(TRule rule, int n, int seed) where TRule : struct, IUpdateRule1
    {
        var rng = new Random(seed);
        float[] w = Random(rng, n), g = Random(rng, n), s = Random(rng, n, 0, 1);
        g[0] = 0f; // a zero gradient (Lion's sign, the square roots at their smallest)
        float[] w2 = (float[])w.Clone(), s2 = (float[])s.Clone();
        UpdateKernels.Run(rule, w, g, s);
        for (int i = 0; i < n; i++) rule.Invoke(ref w2[i], g[i], ref s2[i]);
        Assert.Equal(w2, w);
        Assert.Equal(s2, s);
    }

    private static void Rule2SameAsScalar<TRule>(TRule rule, int n, int seed) where TRule : struct, IUpdateRule2
    {
        var rng = new Random(seed);
        float[] w = Random(rng, n), g = Random(rng, n), s0 = Random(rng, n), s1 = Random(rng, n, 0, 1);
        g[0] = 0f;
        float[] w2 = (float[])w.Clone(), a2 = (float[])s0.Clone(), b2 = (float[])s1.Clone();
        UpdateKernels.Run(rule, w, g, s0, s1);
        for (int i = 0; i < n; i++) rule.Invoke(ref w2[i], g[i], ref a2[i], ref b2[i]);
        Assert.Equal(w2, w);
        Assert.Equal(a2, s0);
        Assert.Equal(b2, s1);
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void UpdateRulesGiveTheScalarBitsAtEveryWidth(int n)
    {
        Rule1SameAsScalar(new SgdMomentumRule(0.9f, 0.01f, nesterov: false), n, 1);
        Rule1SameAsScalar(new SgdMomentumRule(0.9f, 0.01f, nesterov: true), n, 2);
        Rule1SameAsScalar(new RmspropRule(0.9f, 1e-7f, 1e-3f), n, 3);
        Rule1SameAsScalar(new AdagradRule(1e-7f, 1e-3f), n, 4);
        Rule1SameAsScalar(new LionRule(0.9f, 0.99f, 1e-3f), n, 5);
        Rule2SameAsScalar(new AdamaxRule(0.9f, 0.999f, 1e-7f, 1e-3f), n, 6);
        Rule2SameAsScalar(new NadamRule(0.9f, 0.999f, 1e-7f, 1e-3f, 0.5f, 0.1f, 2f), n, 7);
        Rule2SameAsScalar(new AdadeltaRule(0.95f, 1e-7f, 1e-3f), n, 8);
    }

    [Fact]
    public void UpdateDriverRefusesMismatchedState()
    {
        var ex = Assert.Throws<ArgumentException>(() => UpdateKernels.Run(new AdagradRule(1e-7f, 1e-3f), new float[8], new float[8], new float[7]));
        Assert.Contains("state of 7", ex.Message);
    }

    [Fact]
    public void LionPropagatesANaNGradientIntoTheWeights()
    {
        var p = Tensor.FromArray(new float[9], 9);
        p.RequiresGrad = true;
        p.Grad = Tensor.FromArray([1f, -1f, 0f, float.NaN, 2f, -2f, 0.5f, float.NaN, 3f], 9);
        new Lion(learningRate: 0.1f).Step([p]);
        float[] w = p.ToArray();
        Assert.Equal(-0.1f, w[0], 1e-7f); // sign(0.1·1) = 1
        Assert.Equal(0.1f, w[1], 1e-7f);
        Assert.Equal(0f, w[2]);
        Assert.True(float.IsNaN(w[3]) && float.IsNaN(w[7]), "a NaN gradient must show in the weights");
    }

    /// <summary>
    /// Each optimizer through its public Step, three steps at a length with vector bodies and a tail, against its
    /// update written out in double precision from the Keras formulas.
    /// </summary>
    [Theory]
    [InlineData("sgd_momentum")]
    [InlineData("sgd_nesterov")]
    [InlineData("rmsprop")]
    [InlineData("adagrad")]
    [InlineData("adamax")]
    [InlineData("nadam")]
    [InlineData("adadelta")]
    [InlineData("lion")]
    public void OptimizersFollowTheirFormulasAtEveryWidth(string name)
    {
        const int n = 37;
        var rng = new Random(name.Length);
        float[] w0 = Random(rng, n);
        Optimizer opt = name switch
        {
            "sgd_momentum" => new SGD(0.05f, momentum: 0.9f),
            "sgd_nesterov" => new SGD(0.05f, momentum: 0.9f, nesterov: true),
            "rmsprop" => new RMSprop(0.01f),
            "adagrad" => new Adagrad(0.05f),
            "adamax" => new Adamax(0.01f),
            "nadam" => new Nadam(0.01f),
            "adadelta" => new Adadelta(1f),
            _ => new Lion(0.01f),
        };
        var p = Tensor.FromArray((float[])w0.Clone(), n);
        p.RequiresGrad = true;
        double[] w = w0.Select(v => (double)v).ToArray(), s0 = new double[n], s1 = new double[n];
        if (name == "adagrad") Array.Fill(s0, 0.1);
        double nadamProduct = 1;
        for (int t = 1; t <= 3; t++)
        {
            float[] g = Random(rng, n);
            p.Grad = Tensor.FromArray((float[])g.Clone(), n);
            opt.Step([p]);
            double mu = 0.9 * (1 - 0.5 * Math.Pow(0.96, t)), muNext = 0.9 * (1 - 0.5 * Math.Pow(0.96, t + 1));
            nadamProduct *= mu;
            for (int i = 0; i < n; i++)
            {
                double gi = g[i];
                switch (name)
                {
                    case "sgd_momentum": s0[i] = 0.9 * s0[i] - 0.05 * gi; w[i] += s0[i]; break;
                    case "sgd_nesterov": s0[i] = 0.9 * s0[i] - 0.05 * gi; w[i] += 0.9 * s0[i] - 0.05 * gi; break;
                    case "rmsprop": s0[i] = 0.9 * s0[i] + 0.1 * gi * gi; w[i] -= 0.01 * gi / Math.Sqrt(s0[i] + 1e-7); break;
                    case "adagrad": s0[i] += gi * gi; w[i] -= 0.05 * gi / Math.Sqrt(s0[i] + 1e-7); break;
                    case "adamax":
                        s0[i] += (gi - s0[i]) * 0.1;
                        s1[i] = Math.Max(0.999 * s1[i], Math.Abs(gi));
                        w[i] -= 0.01 / (1 - Math.Pow(0.9, t)) * s0[i] / (s1[i] + 1e-7);
                        break;
                    case "nadam":
                        s0[i] += (gi - s0[i]) * 0.1;
                        s1[i] += (gi * gi - s1[i]) * 0.001;
                        double mHat = muNext * s0[i] / (1 - nadamProduct * muNext) + (1 - mu) * gi / (1 - nadamProduct);
                        w[i] -= 0.01 * mHat / (Math.Sqrt(s1[i] / (1 - Math.Pow(0.999, t))) + 1e-7);
                        break;
                    case "adadelta":
                        s0[i] = 0.95 * s0[i] + 0.05 * gi * gi;
                        double delta = Math.Sqrt(s1[i] + 1e-7) / Math.Sqrt(s0[i] + 1e-7) * gi;
                        s1[i] = 0.95 * s1[i] + 0.05 * delta * delta;
                        w[i] -= delta;
                        break;
                    default:
                        double c = 0.9 * s0[i] + 0.1 * gi;
                        w[i] -= 0.01 * Math.Sign(c);
                        s0[i] = 0.99 * s0[i] + 0.01 * gi;
                        break;
                }
            }
        }
        float[] got = p.ToArray();
        for (int i = 0; i < n; i++) Assert.True(Math.Abs(got[i] - w[i]) <= 2e-5 * Math.Max(1, Math.Abs(w[i])), $"{name} element {i}: {got[i]} vs {w[i]}");
    }
}
