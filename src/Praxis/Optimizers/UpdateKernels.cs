using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Praxis.Kernels;

namespace Praxis.Optimizers;

/// <summary>
/// One optimizer's per-element update with one state buffer, as a struct carrying its hyper-parameters: the scalar form
/// (tails) and one width-generic vector form. Both evaluate the same expression in the same order and never fuse a
/// multiply-add, so a parameter gets the same bits whichever width updates it.
/// </summary>
internal interface IUpdateRule1
{
    void Invoke(ref float w, float g, ref float s);
    void Invoke<TW, TV>(ref TV w, TV g, ref TV s) where TW : IVectorWidth<TV> where TV : struct;
}

/// <summary>As <see cref="IUpdateRule1"/>, with two state buffers.</summary>
internal interface IUpdateRule2
{
    void Invoke(ref float w, float g, ref float s0, ref float s1);
    void Invoke<TW, TV>(ref TV w, TV g, ref TV s0, ref TV s1) where TW : IVectorWidth<TV> where TV : struct;
}

/// <summary>
/// The optimizer-update driver: runs a rule over a parameter at the widest accelerated width (<see cref="Simd.For"/>),
/// whole vectors then a scalar tail. Updates are memory-bound (4-5 streams), so the width matters most for the
/// divisions and square roots, which a scalar loop issues one by one.
/// </summary>
internal static class UpdateKernels
{
    /// <summary>Applies <paramref name="rule"/> to every element of <paramref name="w"/> with its state <paramref name="s"/>.</summary>
    public static void Run<TRule>(in TRule rule, Span<float> w, ReadOnlySpan<float> g, Span<float> s) where TRule : struct, IUpdateRule1
    {
        int n = w.Length;
        if (g.Length != n || s.Length != n) throw new ArgumentException($"Optimizer update: parameter of {n} elements, gradient of {g.Length}, state of {s.Length}.");
        int i = Simd.For(n) switch
        {
            SimdPath.Vector512 => Body<TRule, Width512, Vector512<float>>(rule, w, g, s),
            SimdPath.Vector256 => Body<TRule, Width256, Vector256<float>>(rule, w, g, s),
            SimdPath.Vector128 => Body<TRule, Width128, Vector128<float>>(rule, w, g, s),
            _ => 0,
        };
        for (; i < n; i++) rule.Invoke(ref w[i], g[i], ref s[i]);
    }

    /// <summary>Applies <paramref name="rule"/> with two state buffers.</summary>
    public static void Run<TRule>(in TRule rule, Span<float> w, ReadOnlySpan<float> g, Span<float> s0, Span<float> s1) where TRule : struct, IUpdateRule2
    {
        int n = w.Length;
        if (g.Length != n || s0.Length != n || s1.Length != n)
            throw new ArgumentException($"Optimizer update: parameter of {n} elements, gradient of {g.Length}, states of {s0.Length} and {s1.Length}.");
        int i = Simd.For(n) switch
        {
            SimdPath.Vector512 => Body<TRule, Width512, Vector512<float>>(rule, w, g, s0, s1),
            SimdPath.Vector256 => Body<TRule, Width256, Vector256<float>>(rule, w, g, s0, s1),
            SimdPath.Vector128 => Body<TRule, Width128, Vector128<float>>(rule, w, g, s0, s1),
            _ => 0,
        };
        for (; i < n; i++) rule.Invoke(ref w[i], g[i], ref s0[i], ref s1[i]);
    }

    // Whole vectors only; returns where the scalar tail starts.
    private static int Body<TRule, TW, TV>(in TRule rule, Span<float> w, ReadOnlySpan<float> g, Span<float> s)
        where TRule : struct, IUpdateRule1 where TW : IVectorWidth<TV> where TV : struct
    {
        int lanes = TW.Count, n = w.Length, i = 0;
        for (; i <= n - lanes; i += lanes)
        {
            var wv = TW.Load(w, i);
            var sv = TW.Load(s, i);
            rule.Invoke<TW, TV>(ref wv, TW.Load(g, i), ref sv);
            TW.Store(wv, w, i);
            TW.Store(sv, s, i);
        }
        return i;
    }

    private static int Body<TRule, TW, TV>(in TRule rule, Span<float> w, ReadOnlySpan<float> g, Span<float> s0, Span<float> s1)
        where TRule : struct, IUpdateRule2 where TW : IVectorWidth<TV> where TV : struct
    {
        int lanes = TW.Count, n = w.Length, i = 0;
        for (; i <= n - lanes; i += lanes)
        {
            var wv = TW.Load(w, i);
            var s0v = TW.Load(s0, i);
            var s1v = TW.Load(s1, i);
            rule.Invoke<TW, TV>(ref wv, TW.Load(g, i), ref s0v, ref s1v);
            TW.Store(wv, w, i);
            TW.Store(s0v, s0, i);
            TW.Store(s1v, s1, i);
        }
        return i;
    }
}

/// <summary>SGD with momentum μ: v ← μv − lr·g; w ← w + v, or w + μv − lr·g (Nesterov).</summary>
internal readonly struct SgdMomentumRule(float momentum, float lr, bool nesterov) : IUpdateRule1
{
    private readonly float _mu = momentum, _lr = lr;
    private readonly bool _nesterov = nesterov;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Invoke(ref float w, float g, ref float v)
    {
        v = _mu * v - _lr * g;
        w += _nesterov ? _mu * v - _lr * g : v;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Invoke<TW, TV>(ref TV w, TV g, ref TV v) where TW : IVectorWidth<TV> where TV : struct
    {
        TV mu = TW.Splat(_mu), lrg = TW.Mul(TW.Splat(_lr), g);
        v = TW.Sub(TW.Mul(mu, v), lrg);
        w = TW.Add(w, _nesterov ? TW.Sub(TW.Mul(mu, v), lrg) : v);
    }
}

/// <summary>RMSprop: a ← ρa + (1 − ρ)g²; w ← w − lr·g/√(a + ε).</summary>
internal readonly struct RmspropRule(float rho, float epsilon, float lr) : IUpdateRule1
{
    private readonly float _rho = rho, _c = 1f - rho, _eps = epsilon, _lr = lr;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Invoke(ref float w, float g, ref float a)
    {
        a = _rho * a + _c * g * g;
        w -= _lr * g / MathF.Sqrt(a + _eps);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Invoke<TW, TV>(ref TV w, TV g, ref TV a) where TW : IVectorWidth<TV> where TV : struct
    {
        a = TW.Add(TW.Mul(TW.Splat(_rho), a), TW.Mul(TW.Mul(TW.Splat(_c), g), g));
        w = TW.Sub(w, TW.Div(TW.Mul(TW.Splat(_lr), g), TW.Sqrt(TW.Add(a, TW.Splat(_eps)))));
    }
}

/// <summary>Adagrad: a ← a + g²; w ← w − lr·g/√(a + ε).</summary>
internal readonly struct AdagradRule(float epsilon, float lr) : IUpdateRule1
{
    private readonly float _eps = epsilon, _lr = lr;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Invoke(ref float w, float g, ref float a)
    {
        a += g * g;
        w -= _lr * g / MathF.Sqrt(a + _eps);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Invoke<TW, TV>(ref TV w, TV g, ref TV a) where TW : IVectorWidth<TV> where TV : struct
    {
        a = TW.Add(a, TW.Mul(g, g));
        w = TW.Sub(w, TW.Div(TW.Mul(TW.Splat(_lr), g), TW.Sqrt(TW.Add(a, TW.Splat(_eps)))));
    }
}

/// <summary>
/// Lion: w ← w − lr·sign(β₁m + (1 − β₁)g); m ← β₂m + (1 − β₂)g. sign(±0) = ±0 and sign(NaN) = NaN, as TensorFlow's
/// sign, so a NaN gradient shows in the weights instead of vanishing.
/// </summary>
internal readonly struct LionRule(float beta1, float beta2, float lr) : IUpdateRule1
{
    private readonly float _b1 = beta1, _c1 = 1f - beta1, _b2 = beta2, _c2 = 1f - beta2, _lr = lr;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Invoke(ref float w, float g, ref float m)
    {
        float c = _b1 * m + _c1 * g;
        w -= _lr * (c > 0f ? 1f : c < 0f ? -1f : c);
        m = _b2 * m + _c2 * g;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Invoke<TW, TV>(ref TV w, TV g, ref TV m) where TW : IVectorWidth<TV> where TV : struct
    {
        var c = TW.Add(TW.Mul(TW.Splat(_b1), m), TW.Mul(TW.Splat(_c1), g));
        var sign = TW.Select(TW.GreaterThan(c, TW.Zero), TW.Splat(1f), TW.Select(TW.GreaterThan(TW.Zero, c), TW.Splat(-1f), c));
        w = TW.Sub(w, TW.Mul(TW.Splat(_lr), sign));
        m = TW.Add(TW.Mul(TW.Splat(_b2), m), TW.Mul(TW.Splat(_c2), g));
    }
}

/// <summary>Adamax: m ← m + (g − m)(1 − β₁); u ← max(β₂u, |g|); w ← w − α·m/(u + ε), α = lr/(1 − β₁ᵗ).</summary>
internal readonly struct AdamaxRule(float beta1, float beta2, float epsilon, float alpha) : IUpdateRule2
{
    private readonly float _c1 = 1f - beta1, _b2 = beta2, _eps = epsilon, _alpha = alpha;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Invoke(ref float w, float g, ref float m, ref float u)
    {
        m += (g - m) * _c1;
        u = MathF.Max(_b2 * u, MathF.Abs(g));
        w -= _alpha * m / (u + _eps);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Invoke<TW, TV>(ref TV w, TV g, ref TV m, ref TV u) where TW : IVectorWidth<TV> where TV : struct
    {
        m = TW.Add(m, TW.Mul(TW.Sub(g, m), TW.Splat(_c1)));
        u = TW.Max(TW.Mul(TW.Splat(_b2), u), TW.Abs(g));
        w = TW.Sub(w, TW.Div(TW.Mul(TW.Splat(_alpha), m), TW.Add(u, TW.Splat(_eps))));
    }
}

/// <summary>Nadam: m ← m + (g − m)(1 − β₁); v ← v + (g² − v)(1 − β₂); w ← w − lr·(cm·m + cg·g)/(√(v·cv) + ε).</summary>
internal readonly struct NadamRule(float beta1, float beta2, float epsilon, float lr, float cm, float cg, float cv) : IUpdateRule2
{
    private readonly float _c1 = 1f - beta1, _c2 = 1f - beta2, _eps = epsilon, _lr = lr, _cm = cm, _cg = cg, _cv = cv;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Invoke(ref float w, float g, ref float m, ref float v)
    {
        m += (g - m) * _c1;
        v += (g * g - v) * _c2;
        float mHat = _cm * m + _cg * g;
        w -= _lr * mHat / (MathF.Sqrt(v * _cv) + _eps);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Invoke<TW, TV>(ref TV w, TV g, ref TV m, ref TV v) where TW : IVectorWidth<TV> where TV : struct
    {
        m = TW.Add(m, TW.Mul(TW.Sub(g, m), TW.Splat(_c1)));
        v = TW.Add(v, TW.Mul(TW.Sub(TW.Mul(g, g), v), TW.Splat(_c2)));
        var mHat = TW.Add(TW.Mul(TW.Splat(_cm), m), TW.Mul(TW.Splat(_cg), g));
        w = TW.Sub(w, TW.Div(TW.Mul(TW.Splat(_lr), mHat), TW.Add(TW.Sqrt(TW.Mul(v, TW.Splat(_cv))), TW.Splat(_eps))));
    }
}

/// <summary>Adadelta: a ← ρa + (1 − ρ)g²; Δ = √(d + ε)/√(a + ε)·g; d ← ρd + (1 − ρ)Δ²; w ← w − lr·Δ.</summary>
internal readonly struct AdadeltaRule(float rho, float epsilon, float lr) : IUpdateRule2
{
    private readonly float _rho = rho, _c = 1f - rho, _eps = epsilon, _lr = lr;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Invoke(ref float w, float g, ref float a, ref float d)
    {
        a = _rho * a + _c * g * g;
        float delta = MathF.Sqrt(d + _eps) / MathF.Sqrt(a + _eps) * g;
        d = _rho * d + _c * delta * delta;
        w -= _lr * delta;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Invoke<TW, TV>(ref TV w, TV g, ref TV a, ref TV d) where TW : IVectorWidth<TV> where TV : struct
    {
        TV rho = TW.Splat(_rho), c = TW.Splat(_c), eps = TW.Splat(_eps);
        a = TW.Add(TW.Mul(rho, a), TW.Mul(TW.Mul(c, g), g));
        var delta = TW.Mul(TW.Div(TW.Sqrt(TW.Add(d, eps)), TW.Sqrt(TW.Add(a, eps))), g);
        d = TW.Add(TW.Mul(rho, d), TW.Mul(TW.Mul(c, delta), delta));
        w = TW.Sub(w, TW.Mul(TW.Splat(_lr), delta));
    }
}
