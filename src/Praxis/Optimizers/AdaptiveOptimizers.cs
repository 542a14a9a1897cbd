namespace Praxis.Optimizers;

/// <summary>
/// Adamax as Keras (Adam with the infinity norm): m ← m + (g − m)(1 − β₁); u ← max(β₂u, |g|);
/// w ← w − lr/(1 − β₁ᵗ) · m/(u + ε). Defaults lr 1e-3, β₁ 0.9, β₂ 0.999, ε 1e-7.
/// </summary>
public sealed class Adamax(float learningRate = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-7f) : Optimizer(learningRate)
{
    /// <summary>β₁, the first-moment decay.</summary>
    public float Beta1 { get; } = beta1;

    /// <summary>β₂, the decay of the infinity norm.</summary>
    public float Beta2 { get; } = beta2;

    /// <summary>ε, added to u.</summary>
    public float Epsilon { get; } = epsilon;

    /// <inheritdoc />
    public override string Name => "adamax";

    /// <inheritdoc />
    protected override float[][] CreateSlots(int size) => [new float[size], new float[size]];

    /// <inheritdoc />
    protected override void Update(Span<float> w, ReadOnlySpan<float> g, float[][] slots, float lr, long step)
    {
        float alpha = (float)(lr / (1 - Math.Pow(Beta1, step)));
        UpdateKernels.Run(new AdamaxRule(Beta1, Beta2, Epsilon, alpha), w, g, slots[0], slots[1]);
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
/// Nadam (Adam with Nesterov momentum) as Keras 3: with μₜ = β₁(1 − ½·0.96ᵗ) and Πₜ = μ₁⋯μₜ,
/// m̂ = μₜ₊₁·m/(1 − Πₜμₜ₊₁) + (1 − μₜ)·g/(1 − Πₜ), v̂ = v/(1 − β₂ᵗ), w ← w − lr·m̂/(√v̂ + ε).
/// Defaults lr 1e-3, β₁ 0.9, β₂ 0.999, ε 1e-7.
/// </summary>
public sealed class Nadam(float learningRate = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-7f) : Optimizer(learningRate)
{
    // Πₜ depends on the step alone; cached so each parameter of a step reuses it (recomputed after a jump, e.g. a load).
    private long _productStep;
    private double _product = 1;

    /// <summary>β₁, the first-moment decay.</summary>
    public float Beta1 { get; } = beta1;

    /// <summary>β₂, the second-moment decay.</summary>
    public float Beta2 { get; } = beta2;

    /// <summary>ε, added to √v̂.</summary>
    public float Epsilon { get; } = epsilon;

    /// <inheritdoc />
    public override string Name => "nadam";

    // Keras 3 decays the momentum schedule by 0.96 per step (0.96^t; PyTorch and Keras 2 use 0.96^(0.004·t)).
    private double Mu(long t) => Beta1 * (1 - 0.5 * Math.Pow(0.96, t));

    private double Product(long t)
    {
        if (t == _productStep) return _product;
        if (t == _productStep + 1) { _product *= Mu(t); _productStep = t; return _product; }
        double p = 1;
        for (long s = 1; s <= t; s++) p *= Mu(s);
        _productStep = t;
        return _product = p;
    }

    /// <inheritdoc />
    protected override float[][] CreateSlots(int size) => [new float[size], new float[size]];

    /// <inheritdoc />
    protected override void Update(Span<float> w, ReadOnlySpan<float> g, float[][] slots, float lr, long step)
    {
        double mu = Mu(step), muNext = Mu(step + 1), prod = Product(step);
        float cm = (float)(muNext / (1 - prod * muNext)), cg = (float)((1 - mu) / (1 - prod));
        float cv = (float)(1 / (1 - Math.Pow(Beta2, step)));
        UpdateKernels.Run(new NadamRule(Beta1, Beta2, Epsilon, lr, cm, cg, cv), w, g, slots[0], slots[1]);
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
/// Adagrad as Keras: a ← a + g² (a starts at <c>initial_accumulator_value</c>, 0.1); w ← w − lr·g/√(a + ε).
/// Defaults lr 1e-3, ε 1e-7.
/// </summary>
public sealed class Adagrad : Optimizer
{
    /// <summary>Creates the optimizer with Keras' argument names and defaults.</summary>
    public Adagrad(float learningRate = 1e-3f, float initialAccumulatorValue = 0.1f, float epsilon = 1e-7f) : base(learningRate)
    {
        if (!(initialAccumulatorValue >= 0f)) throw new ArgumentOutOfRangeException(nameof(initialAccumulatorValue), $"Adagrad: initial_accumulator_value must be >= 0; got {initialAccumulatorValue}.");
        InitialAccumulatorValue = initialAccumulatorValue;
        Epsilon = epsilon;
    }

    /// <summary>The accumulator's starting value.</summary>
    public float InitialAccumulatorValue { get; }

    /// <summary>ε, inside the square root.</summary>
    public float Epsilon { get; }

    /// <inheritdoc />
    public override string Name => "adagrad";

    /// <inheritdoc />
    protected override float[][] CreateSlots(int size)
    {
        var a = new float[size];
        Array.Fill(a, InitialAccumulatorValue);
        return [a];
    }

    /// <inheritdoc />
    protected override void Update(Span<float> w, ReadOnlySpan<float> g, float[][] slots, float lr, long step)
    {
        UpdateKernels.Run(new AdagradRule(Epsilon, lr), w, g, slots[0]);
    }

    /// <inheritdoc />
    public override Dictionary<string, object?> GetConfig()
    {
        var c = base.GetConfig();
        c["initial_accumulator_value"] = InitialAccumulatorValue;
        c["epsilon"] = Epsilon;
        return c;
    }
}

/// <summary>
/// Adadelta as Keras: a ← ρa + (1 − ρ)g²; Δ = √(d + ε)/√(a + ε)·g; d ← ρd + (1 − ρ)Δ²; w ← w − lr·Δ.
/// Defaults lr 1e-3, ρ 0.95, ε 1e-7 (PyTorch's defaults differ: lr 1, ρ 0.9, ε 1e-6; the update is the same).
/// </summary>
public sealed class Adadelta(float learningRate = 1e-3f, float rho = 0.95f, float epsilon = 1e-7f) : Optimizer(learningRate)
{
    /// <summary>ρ, the decay of both running averages.</summary>
    public float Rho { get; } = rho;

    /// <summary>ε.</summary>
    public float Epsilon { get; } = epsilon;

    /// <inheritdoc />
    public override string Name => "adadelta";

    /// <inheritdoc />
    protected override float[][] CreateSlots(int size) => [new float[size], new float[size]];

    /// <inheritdoc />
    protected override void Update(Span<float> w, ReadOnlySpan<float> g, float[][] slots, float lr, long step)
    {
        UpdateKernels.Run(new AdadeltaRule(Rho, Epsilon, lr), w, g, slots[0], slots[1]);
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

/// <summary>
/// Lion (Chen et al. 2023) as Keras: w ← w − lr·sign(β₁m + (1 − β₁)g); then m ← β₂m + (1 − β₂)g. Defaults lr 1e-3,
/// β₁ 0.9, β₂ 0.99 (the paper suggests a learning rate 3–10× smaller than AdamW's).
/// </summary>
public sealed class Lion(float learningRate = 1e-3f, float beta1 = 0.9f, float beta2 = 0.99f) : Optimizer(learningRate)
{
    /// <summary>β₁, the interpolation used for the update's sign.</summary>
    public float Beta1 { get; } = beta1;

    /// <summary>β₂, the momentum decay.</summary>
    public float Beta2 { get; } = beta2;

    /// <inheritdoc />
    public override string Name => "lion";

    /// <inheritdoc />
    protected override float[][] CreateSlots(int size) => [new float[size]];

    /// <inheritdoc />
    protected override void Update(Span<float> w, ReadOnlySpan<float> g, float[][] slots, float lr, long step)
    {
        UpdateKernels.Run(new LionRule(Beta1, Beta2, lr), w, g, slots[0]);
    }

    /// <inheritdoc />
    public override Dictionary<string, object?> GetConfig()
    {
        var c = base.GetConfig();
        c["beta_1"] = Beta1;
        c["beta_2"] = Beta2;
        return c;
    }
}
