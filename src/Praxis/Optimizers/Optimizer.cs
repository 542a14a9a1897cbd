using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Praxis.Kernels;

namespace Praxis.Optimizers;

/// <summary>
/// Updates parameters from their gradients. PyTorch style: <c>optimizer.ZeroGrad(params)</c>, <c>loss.Backward()</c>,
/// <c>optimizer.Step(params)</c>; <c>Model.Fit</c> drives the same calls. Per-parameter state (moments, velocities)
/// is created on the first step and reused, so steps allocate nothing afterwards.
/// </summary>
public abstract class Optimizer
{
    private readonly Dictionary<Tensor, float[][]> _slots = new(ReferenceEqualityComparer.Instance);

    /// <summary>Creates an optimizer with a learning rate.</summary>
    protected Optimizer(float learningRate) => LearningRate = learningRate;

    // Hyper-parameters are checked when set, so a constructor, a callback and a loaded file all refuse the same values.
    private float _learningRate;
    private float? _clipValue, _clipNorm, _globalClipNorm;

    /// <summary>Throws unless <paramref name="value"/> is finite and in [<paramref name="min"/>, <paramref name="max"/>] (<paramref name="maxOpen"/>: below max).</summary>
    protected float Checked(string key, float value, float min = 0f, float max = float.MaxValue, bool maxOpen = false) =>
        CheckRange(GetType().Name, key, value, min, max, maxOpen);

    /// <summary>The static form of <see cref="Checked"/> for primary-constructor initialisers.</summary>
    protected static float CheckRange(string optimizer, string key, float value, float min, float max, bool maxOpen)
    {
        if (float.IsFinite(value) && value >= min && value <= max && !(maxOpen && value == max)) return value;
        string range = max == float.MaxValue ? $">= {min}" : $"in [{min}, {max}{(maxOpen ? ")" : "]")}";
        throw new ArgumentOutOfRangeException(key, value, $"{optimizer}: {key} must be a finite number {range}; got {value.ToString(System.Globalization.CultureInfo.InvariantCulture)}.");
    }

    private float? CheckedClip(string key, float? value) =>
        value is float v && (!float.IsFinite(v) || v <= 0)
            ? throw new ArgumentOutOfRangeException(key, v, $"{GetType().Name}: {key} must be a finite number > 0 (or unset); got {v.ToString(System.Globalization.CultureInfo.InvariantCulture)}.")
            : value;

    /// <summary>The Keras name, e.g. <c>adam</c>.</summary>
    public abstract string Name { get; }

    /// <summary>The learning rate used by the next step (schedules and callbacks change it).</summary>
    public float LearningRate { get => _learningRate; set => _learningRate = Checked("learning_rate", value); }

    /// <summary>Optional learning-rate schedule: the rate for a given step, overriding <see cref="LearningRate"/>.</summary>
    public Func<long, float>? Schedule { get; set; }

    /// <summary>Steps taken so far (Keras <c>optimizer.iterations</c>).</summary>
    public long Iterations { get; set; }

    /// <summary>If set, each gradient is clipped elementwise to [−v, v] before the update (Keras <c>clipvalue</c>).</summary>
    public float? ClipValue { get => _clipValue; set => _clipValue = CheckedClip("clipvalue", value); }

    /// <summary>If set, each gradient tensor is rescaled so its L2 norm is at most this (Keras <c>clipnorm</c>).</summary>
    public float? ClipNorm { get => _clipNorm; set => _clipNorm = CheckedClip("clipnorm", value); }

    /// <summary>If set, all gradients are rescaled together so their joint L2 norm is at most this (Keras <c>global_clipnorm</c>).</summary>
    public float? GlobalClipNorm { get => _globalClipNorm; set => _globalClipNorm = CheckedClip("global_clipnorm", value); }

    /// <summary>Sets the gradients of <paramref name="parameters"/> to zero (PyTorch <c>zero_grad</c>).</summary>
    public void ZeroGrad(IReadOnlyList<Tensor> parameters)
    {
        for (int i = 0; i < parameters.Count; i++) parameters[i].Grad?.Zero();
    }

    /// <summary>Applies one update to every parameter that has a gradient, then counts the step.</summary>
    public void Step(IReadOnlyList<Tensor> parameters)
    {
        float scale = 1f;
        if (GlobalClipNorm is float g)
        {
            double sq = 0;
            for (int i = 0; i < parameters.Count; i++)
                if (parameters[i].Grad is { } gr) sq += SquaredNorm(gr.Span);
            double norm = Math.Sqrt(sq);
            if (norm > g) scale = (float)(g / norm);
        }
        float lr = Schedule?.Invoke(Iterations) ?? LearningRate;
        for (int i = 0; i < parameters.Count; i++)
        {
            var p = parameters[i];
            if (p.Grad is not { } grad || !p.RequiresGrad) continue;
            var gs = grad.Span;
            if (scale != 1f) TensorPrimitives.Multiply(gs, scale, gs);
            if (ClipNorm is float cn)
            {
                double norm = Math.Sqrt(SquaredNorm(gs));
                if (norm > cn) TensorPrimitives.Multiply(gs, (float)(cn / norm), gs);
            }
            if (ClipValue is float cv) TensorPrimitives.Clamp(gs, -cv, cv, gs);
            if (!_slots.TryGetValue(p, out var slots))
            {
                slots = CreateSlots(p.Size);
                _slots[p] = slots;
            }
            Update(p, gs, slots, lr, Iterations + 1);
        }
        Iterations++;
    }

    // Vectorized in float over blocks of 4096 (float rounding stays near 1e-7 relative), summed across blocks in double.
    private static double SquaredNorm(ReadOnlySpan<float> g)
    {
        double s = 0;
        for (int i = 0; i < g.Length; i += 4096) s += TensorPrimitives.SumOfSquares(g.Slice(i, Math.Min(4096, g.Length - i)));
        return s;
    }

    /// <summary>Per-parameter state buffers (e.g. Adam's m and v), each <paramref name="size"/> long.</summary>
    protected abstract float[][] CreateSlots(int size);

    /// <summary>Updates one parameter in place. <paramref name="step"/> counts from 1.</summary>
    protected abstract void Update(Span<float> param, ReadOnlySpan<float> grad, float[][] slots, float lr, long step);

    /// <summary>
    /// Updates one parameter, knowing which tensor it is (for per-variable choices such as weight-decay exclusion); the
    /// default calls the span overload.
    /// </summary>
    protected virtual void Update(Tensor parameter, ReadOnlySpan<float> grad, float[][] slots, float lr, long step) =>
        Update(parameter.Span, grad, slots, lr, step);

    /// <summary>The state buffers of a parameter (for save/load), or null before its first step.</summary>
    public float[][]? GetSlots(Tensor parameter) => _slots.TryGetValue(parameter, out var s) ? s : null;

    /// <summary>Replaces the state buffers of a parameter (for save/load).</summary>
    public void SetSlots(Tensor parameter, float[][] slots) => _slots[parameter] = slots;

    /// <summary>A deep copy of every parameter's state, for <see cref="RestoreState"/> (a failed Fit puts it back).</summary>
    internal (Dictionary<Tensor, float[][]> Slots, long Iterations, float LearningRate) CaptureState()
    {
        var copy = new Dictionary<Tensor, float[][]>(ReferenceEqualityComparer.Instance);
        foreach (var (p, slots) in _slots)
        {
            var c = new float[slots.Length][];
            for (int i = 0; i < slots.Length; i++) c[i] = (float[])slots[i].Clone();
            copy[p] = c;
        }
        return (copy, Iterations, LearningRate);
    }

    /// <summary>Puts back a state from <see cref="CaptureState"/>: values copied into the live buffers, slots created since dropped.</summary>
    internal void RestoreState((Dictionary<Tensor, float[][]> Slots, long Iterations, float LearningRate) state)
    {
        foreach (var p in _slots.Keys.ToArray())
            if (!state.Slots.ContainsKey(p)) _slots.Remove(p);
        foreach (var (p, saved) in state.Slots)
        {
            if (_slots.TryGetValue(p, out var live) && live.Length == saved.Length)
                for (int i = 0; i < saved.Length; i++) saved[i].CopyTo(live[i], 0);
            else _slots[p] = saved;
        }
        Iterations = state.Iterations;
        LearningRate = state.LearningRate;
    }

    /// <summary>How many state buffers this optimizer keeps per parameter (checked when state is loaded).</summary>
    internal int SlotCount => CreateSlots(0).Length;

    /// <summary>Hyper-parameters for serialization.</summary>
    public virtual Dictionary<string, object?> GetConfig() => new() { ["learning_rate"] = LearningRate };

    /// <summary>
    /// Resolves a Keras optimizer name with Keras defaults: <c>adam</c>, <c>adamw</c>, <c>sgd</c>, <c>rmsprop</c>,
    /// <c>adamax</c>, <c>nadam</c>, <c>adagrad</c>, <c>adadelta</c>, <c>lion</c>.
    /// </summary>
    public static Optimizer Get(string name) => name.ToLowerInvariant() switch
    {
        "adam" => new Adam(),
        "adamw" => new AdamW(),
        "sgd" => new SGD(),
        "rmsprop" => new RMSprop(),
        "adamax" => new Adamax(),
        "nadam" => new Nadam(),
        "adagrad" => new Adagrad(),
        "adadelta" => new Adadelta(),
        "lion" => new Lion(),
        _ => throw new ArgumentException($"Unknown optimizer '{name}'. Known: adam, adamw, sgd, rmsprop, adamax, nadam, adagrad, adadelta, lion."),
    };

    /// <summary>An optimizer named by a Keras string.</summary>
    public static implicit operator Optimizer(string name) => Get(name);
}

/// <summary>
/// Stochastic gradient descent with optional momentum and Nesterov momentum, as Keras: velocity v ← μv − lr·g;
/// w ← w + v (or w + μv − lr·g with Nesterov). Defaults: lr 0.01, momentum 0.
/// </summary>
public sealed class SGD(float learningRate = 0.01f, float momentum = 0f, bool nesterov = false) : Optimizer(learningRate)
{
    /// <summary>The momentum μ.</summary>
    public float Momentum { get; } = CheckRange("SGD", "momentum", momentum, 0f, 1f, maxOpen: false);

    /// <summary>Whether Nesterov momentum is used.</summary>
    public bool Nesterov { get; } = nesterov;

    /// <inheritdoc />
    public override string Name => "sgd";

    /// <inheritdoc />
    protected override float[][] CreateSlots(int size) => Momentum != 0f ? [new float[size]] : [];

    /// <inheritdoc />
    protected override void Update(Span<float> w, ReadOnlySpan<float> g, float[][] slots, float lr, long step)
    {
        if (Momentum == 0f)
        {
            TensorPrimitives.MultiplyAdd(g, -lr, w, w);
            return;
        }
        UpdateKernels.Run(new SgdMomentumRule(Momentum, lr, Nesterov), w, g, slots[0]);
    }

    /// <inheritdoc />
    public override Dictionary<string, object?> GetConfig()
    {
        var c = base.GetConfig();
        c["momentum"] = Momentum;
        c["nesterov"] = Nesterov;
        return c;
    }
}

/// <summary>
/// Adam exactly as Keras: with t the step, α = lr·√(1 − β₂ᵗ)/(1 − β₁ᵗ); m ← m + (g − m)(1 − β₁);
/// v ← v + (g² − v)(1 − β₂); w ← w − α·m/(√v + ε). Defaults lr 1e-3, β₁ 0.9, β₂ 0.999, ε 1e-7 (PyTorch uses 1e-8
/// and adds ε to the bias-corrected √v̂; Keras adds it to the uncorrected √v).
/// </summary>
public class Adam(float learningRate = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-7f) : Optimizer(learningRate)
{
    /// <summary>β₁, the first-moment decay.</summary>
    public float Beta1 { get; } = CheckRange("Adam", "beta_1", beta1, 0f, 1f, maxOpen: true);

    /// <summary>β₂, the second-moment decay.</summary>
    public float Beta2 { get; } = CheckRange("Adam", "beta_2", beta2, 0f, 1f, maxOpen: true);

    /// <summary>ε, added to √v.</summary>
    public float Epsilon { get; } = CheckRange("Adam", "epsilon", epsilon, 0f, float.MaxValue, maxOpen: false);

    /// <inheritdoc />
    public override string Name => "adam";

    /// <inheritdoc />
    protected override float[][] CreateSlots(int size) => [new float[size], new float[size]];

    /// <inheritdoc />
    protected override void Update(Span<float> w, ReadOnlySpan<float> g, float[][] slots, float lr, long step)
    {
        double alpha = lr * Math.Sqrt(1 - Math.Pow(Beta2, step)) / (1 - Math.Pow(Beta1, step));
        AdamUpdate(w, g, slots[0], slots[1], (float)alpha, Beta1, Beta2, Epsilon);
    }

    internal static void AdamUpdate(Span<float> w, ReadOnlySpan<float> g, Span<float> m, Span<float> v, float alpha, float beta1, float beta2, float eps)
    {
        int n = w.Length;
        // The vector loop reads unchecked, so the lengths are checked here once, for every path.
        if (g.Length < n || m.Length < n || v.Length < n)
            throw new ArgumentException($"Adam: gradient ({g.Length}) and state ({m.Length}, {v.Length}) must be as long as the parameter ({n}).");
        // One SIMD pass at the widest width: memory-bound (5 streams) at 256 and 512 bits; at 128 bits the divides and
        // square roots bound it (hot-cache 2.8x the AVX-512 time here).
        int i = Simd.For(w.Length) switch
        {
            SimdPath.Vector512 => AdamUpdate<Width512, Vector512<float>>(w, g, m, v, alpha, beta1, beta2, eps),
            SimdPath.Vector256 => AdamUpdate<Width256, Vector256<float>>(w, g, m, v, alpha, beta1, beta2, eps),
            SimdPath.Vector128 => AdamUpdate<Width128, Vector128<float>>(w, g, m, v, alpha, beta1, beta2, eps),
            _ => 0,
        };
        float c1 = 1f - beta1, c2 = 1f - beta2;
        for (; i < w.Length; i++)
        {
            float gi = g[i];
            float mi = m[i] + (gi - m[i]) * c1;
            float vi = v[i] + (gi * gi - v[i]) * c2;
            m[i] = mi;
            v[i] = vi;
            w[i] -= alpha * mi / (MathF.Sqrt(vi) + eps);
        }
    }

    // Whole vectors only (the same expression as the scalar tail, lane by lane); returns where the tail starts.
    // Bounds are checked once here rather than per load, and two vectors go per iteration: at 128 bits the per-load
    // slice checks and loop overhead cost more than the divide and square root (measured in bench/RESULTS.md, issue 16).
    private static int AdamUpdate<TW, TV>(Span<float> w, ReadOnlySpan<float> g, Span<float> m, Span<float> v, float alpha, float beta1, float beta2, float eps)
        where TW : IVectorWidth<TV> where TV : struct
    {
        int n = w.Length, lanes = TW.Count;
        var vc1 = TW.Splat(1f - beta1); var vc2 = TW.Splat(1f - beta2);
        var va = TW.Splat(alpha); var ve = TW.Splat(eps);
        ref float rw = ref MemoryMarshal.GetReference(w);
        ref float rg = ref MemoryMarshal.GetReference(g);
        ref float rm = ref MemoryMarshal.GetReference(m);
        ref float rv = ref MemoryMarshal.GetReference(v);
        int i = 0;
        for (; i <= n - 2 * lanes; i += 2 * lanes)
        {
            nuint j = (nuint)i, k = (nuint)(i + lanes);
            var g0 = TW.LoadUnsafe(ref rg, j); var g1 = TW.LoadUnsafe(ref rg, k);
            var m0 = TW.LoadUnsafe(ref rm, j); var m1 = TW.LoadUnsafe(ref rm, k);
            var v0 = TW.LoadUnsafe(ref rv, j); var v1 = TW.LoadUnsafe(ref rv, k);
            m0 = TW.Add(m0, TW.Mul(TW.Sub(g0, m0), vc1)); m1 = TW.Add(m1, TW.Mul(TW.Sub(g1, m1), vc1));
            v0 = TW.Add(v0, TW.Mul(TW.Sub(TW.Mul(g0, g0), v0), vc2)); v1 = TW.Add(v1, TW.Mul(TW.Sub(TW.Mul(g1, g1), v1), vc2));
            TW.StoreUnsafe(m0, ref rm, j); TW.StoreUnsafe(m1, ref rm, k);
            TW.StoreUnsafe(v0, ref rv, j); TW.StoreUnsafe(v1, ref rv, k);
            var d0 = TW.Div(TW.Mul(va, m0), TW.Add(TW.Sqrt(v0), ve));
            var d1 = TW.Div(TW.Mul(va, m1), TW.Add(TW.Sqrt(v1), ve));
            TW.StoreUnsafe(TW.Sub(TW.LoadUnsafe(ref rw, j), d0), ref rw, j);
            TW.StoreUnsafe(TW.Sub(TW.LoadUnsafe(ref rw, k), d1), ref rw, k);
        }
        for (; i <= n - lanes; i += lanes)
        {
            nuint j = (nuint)i;
            var g0 = TW.LoadUnsafe(ref rg, j);
            var m0 = TW.LoadUnsafe(ref rm, j);
            var v0 = TW.LoadUnsafe(ref rv, j);
            m0 = TW.Add(m0, TW.Mul(TW.Sub(g0, m0), vc1));
            v0 = TW.Add(v0, TW.Mul(TW.Sub(TW.Mul(g0, g0), v0), vc2));
            TW.StoreUnsafe(m0, ref rm, j);
            TW.StoreUnsafe(v0, ref rv, j);
            TW.StoreUnsafe(TW.Sub(TW.LoadUnsafe(ref rw, j), TW.Div(TW.Mul(va, m0), TW.Add(TW.Sqrt(v0), ve))), ref rw, j);
        }
        return i;
    }

    /// <inheritdoc />
    public override Dictionary<string, object?> GetConfig()
    {
        var c = base.GetConfig();
        c["beta_1"] = Beta1;
        c["beta_2"] = Beta2;
        c["epsilon"] = Epsilon;
        return c;
    }
}

/// <summary>
/// Adam with decoupled weight decay, as Keras <c>AdamW</c>: before the Adam update, w ← w − lr·λ·w.
/// Default λ 0.004 (Keras).
/// </summary>
public sealed class AdamW(float learningRate = 1e-3f, float weightDecay = 0.004f, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-7f)
    : Adam(learningRate, beta1, beta2, epsilon)
{
    /// <summary>λ, the decoupled weight-decay coefficient.</summary>
    public float WeightDecay { get; } = CheckRange("AdamW", "weight_decay", weightDecay, 0f, float.MaxValue, maxOpen: false);

    /// <inheritdoc />
    public override string Name => "adamw";

    private readonly List<string> _excludedNames = new();
    private readonly HashSet<Tensor> _excluded = new(ReferenceEqualityComparer.Instance);

    /// <summary>
    /// Exempts variables from weight decay (Keras <c>exclude_from_weight_decay</c>): the given tensors, and every
    /// variable whose name contains one of <paramref name="varNames"/> (e.g. "gamma", "beta", "bias", as transformer
    /// recipes exempt LayerNorm gains and biases).
    /// </summary>
    public void ExcludeFromWeightDecay(IEnumerable<Tensor>? varList = null, IEnumerable<string>? varNames = null)
    {
        foreach (var v in varList ?? []) _excluded.Add(v);
        _excludedNames.AddRange(varNames ?? []);
    }

    /// <summary>Whether weight decay applies to <paramref name="parameter"/>.</summary>
    public bool DecaysWeight(Tensor parameter)
    {
        if (WeightDecay == 0f || _excluded.Contains(parameter)) return false;
        if (parameter.Name is { } n)
            foreach (var s in _excludedNames)
                if (n.Contains(s, StringComparison.Ordinal)) return false;
        return true;
    }

    /// <inheritdoc />
    protected override void Update(Tensor parameter, ReadOnlySpan<float> grad, float[][] slots, float lr, long step)
    {
        var w = parameter.Span;
        if (DecaysWeight(parameter)) TensorPrimitives.Multiply(w, 1f - lr * WeightDecay, w);
        base.Update(w, grad, slots, lr, step);
    }

    /// <inheritdoc />
    public override Dictionary<string, object?> GetConfig()
    {
        var c = base.GetConfig();
        c["weight_decay"] = WeightDecay;
        return c;
    }
}

/// <summary>
/// RMSprop as Keras (not centred): a ← ρa + (1 − ρ)g²; w ← w − lr·g/√(a + ε). Defaults lr 1e-3, ρ 0.9, ε 1e-7.
/// </summary>
public sealed class RMSprop(float learningRate = 1e-3f, float rho = 0.9f, float epsilon = 1e-7f) : Optimizer(learningRate)
{
    /// <summary>ρ, the decay of the squared-gradient average.</summary>
    public float Rho { get; } = CheckRange("RMSprop", "rho", rho, 0f, 1f, maxOpen: true);

    /// <summary>ε.</summary>
    public float Epsilon { get; } = CheckRange("RMSprop", "epsilon", epsilon, 0f, float.MaxValue, maxOpen: false);

    /// <inheritdoc />
    public override string Name => "rmsprop";

    /// <inheritdoc />
    protected override float[][] CreateSlots(int size) => [new float[size]];

    /// <inheritdoc />
    protected override void Update(Span<float> w, ReadOnlySpan<float> g, float[][] slots, float lr, long step)
    {
        UpdateKernels.Run(new RmspropRule(Rho, Epsilon, lr), w, g, slots[0]);
    }

    /// <inheritdoc />
    public override Dictionary<string, object?> GetConfig()
    {
        var c = base.GetConfig();
        c["rho"] = Rho;
        c["epsilon"] = Epsilon;
        return c;
    }
}
