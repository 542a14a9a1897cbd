namespace Praxis.Optimizers;

/// <summary>
/// A learning rate as a function of the optimizer step (Keras <c>keras.optimizers.schedules.LearningRateSchedule</c>).
/// Assign it to <see cref="Optimizer.Schedule"/>; the optimizer asks it for the rate of each step, counting from 0.
/// </summary>
public abstract class LearningRateSchedule
{
    /// <summary>The learning rate for <paramref name="step"/> (0-based, <see cref="Optimizer.Iterations"/> before the step).</summary>
    public abstract float Compute(long step);

    /// <summary>The schedule's arguments with Keras names.</summary>
    public abstract Dictionary<string, object?> GetConfig();

    /// <summary>The name saved in the compile config (Keras' class name, e.g. <c>ExponentialDecay</c>).</summary>
    public virtual string ClassName => GetType().Name;

    /// <summary>A schedule used where a step → rate function is expected (<c>optimizer.Schedule = schedule</c>).</summary>
    public static implicit operator Func<long, float>(LearningRateSchedule schedule) => schedule.Compute;
}

/// <summary>
/// Cosine decay with optional linear warm-up, exactly Keras' <c>CosineDecay</c>: without warm-up,
/// lr(s) = initial · ((1 − α)·½(1 + cos(π·min(s, decay)/decay)) + α). With <c>warmup_target</c> and
/// <c>warmup_steps</c> = w, the rate rises linearly from <c>initial_learning_rate</c> at step 0 towards the target
/// (reaching it at step w), then decays from the target over <c>decay_steps</c> to α·target, and stays there.
/// </summary>
/// <remarks>
/// nanoGPT's schedule (warm-up to 1e-3 over 100 steps as lr·(it+1)/(101), cosine to 1e-4 at step 2000) is
/// <c>new CosineDecay(1e-3/101, decaySteps: 1900, alpha: 0.1, warmupTarget: 1e-3, warmupSteps: 100)</c>: the same
/// numbers at every step.
/// </remarks>
public sealed class CosineDecay : LearningRateSchedule
{
    /// <summary>Creates the schedule.</summary>
    /// <param name="initialLearningRate">The rate at step 0 (the start of warm-up, or of decay without warm-up).</param>
    /// <param name="decaySteps">Steps over which the rate decays (after warm-up).</param>
    /// <param name="alpha">The final rate as a fraction of the decay's starting rate.</param>
    /// <param name="warmupTarget">The rate reached at the end of warm-up; null for no warm-up.</param>
    /// <param name="warmupSteps">Length of the warm-up.</param>
    public CosineDecay(double initialLearningRate, long decaySteps, double alpha = 0.0, double? warmupTarget = null, long warmupSteps = 0)
    {
        if (decaySteps <= 0) throw new ArgumentOutOfRangeException(nameof(decaySteps), $"CosineDecay: decay_steps must be positive; got {decaySteps}.");
        if (warmupSteps < 0) throw new ArgumentOutOfRangeException(nameof(warmupSteps), $"CosineDecay: warmup_steps must be >= 0; got {warmupSteps}.");
        if (warmupTarget is not null && warmupSteps == 0)
            throw new ArgumentException("CosineDecay: a warmup_target needs warmup_steps > 0.");
        InitialLearningRate = initialLearningRate;
        DecaySteps = decaySteps;
        Alpha = alpha;
        WarmupTarget = warmupTarget;
        WarmupSteps = warmupSteps;
    }

    /// <summary>The rate at step 0.</summary>
    public double InitialLearningRate { get; }

    /// <summary>The decay length.</summary>
    public long DecaySteps { get; }

    /// <summary>The floor as a fraction of the decay's starting rate.</summary>
    public double Alpha { get; }

    /// <summary>The rate after warm-up, or null.</summary>
    public double? WarmupTarget { get; }

    /// <summary>The warm-up length.</summary>
    public long WarmupSteps { get; }

    /// <inheritdoc />
    public override float Compute(long step)
    {
        if (WarmupTarget is not double target)
            return (float)Decay(Math.Min(step, DecaySteps), InitialLearningRate);
        if (step < WarmupSteps)
            return (float)((target - InitialLearningRate) * step / WarmupSteps + InitialLearningRate);
        return (float)Decay(Math.Min(step - WarmupSteps, DecaySteps), target);
    }

    private double Decay(long step, double from)
    {
        double cosine = 0.5 * (1.0 + Math.Cos(Math.PI * step / DecaySteps));
        return from * ((1 - Alpha) * cosine + Alpha);
    }

    /// <inheritdoc />
    public override Dictionary<string, object?> GetConfig() => new()
    {
        ["initial_learning_rate"] = InitialLearningRate,
        ["decay_steps"] = DecaySteps,
        ["alpha"] = Alpha,
        ["warmup_target"] = WarmupTarget,
        ["warmup_steps"] = WarmupSteps,
    };
}

/// <summary>Keras' <c>ExponentialDecay</c>: initial · rate^(step/decay_steps), the exponent floored when <c>staircase</c>.</summary>
public sealed class ExponentialDecay : LearningRateSchedule
{
    /// <summary>Creates the schedule with Keras' argument names.</summary>
    public ExponentialDecay(double initialLearningRate, long decaySteps, double decayRate, bool staircase = false)
    {
        if (decaySteps <= 0) throw new ArgumentOutOfRangeException(nameof(decaySteps), $"ExponentialDecay: decay_steps must be positive; got {decaySteps}.");
        InitialLearningRate = initialLearningRate;
        DecaySteps = decaySteps;
        DecayRate = decayRate;
        Staircase = staircase;
    }

    /// <summary>The rate at step 0.</summary>
    public double InitialLearningRate { get; }

    /// <summary>Steps per factor of <see cref="DecayRate"/>.</summary>
    public long DecaySteps { get; }

    /// <summary>The factor per <see cref="DecaySteps"/>.</summary>
    public double DecayRate { get; }

    /// <summary>Whether the decay happens in whole steps of <see cref="DecaySteps"/>.</summary>
    public bool Staircase { get; }

    /// <inheritdoc />
    public override float Compute(long step)
    {
        double p = (double)step / DecaySteps;
        if (Staircase) p = Math.Floor(p);
        return (float)(InitialLearningRate * Math.Pow(DecayRate, p));
    }

    /// <inheritdoc />
    public override Dictionary<string, object?> GetConfig() => new()
    {
        ["initial_learning_rate"] = InitialLearningRate, ["decay_steps"] = DecaySteps, ["decay_rate"] = DecayRate, ["staircase"] = Staircase,
    };
}

/// <summary>
/// Keras' <c>PiecewiseConstantDecay</c>: values[0] up to and including boundaries[0], values[1] up to boundaries[1], …,
/// and the last value after the last boundary (so there is one more value than boundaries).
/// </summary>
public sealed class PiecewiseConstantDecay : LearningRateSchedule
{
    private readonly long[] _boundaries;
    private readonly double[] _values;

    /// <summary>Creates the schedule with Keras' argument names.</summary>
    public PiecewiseConstantDecay(long[] boundaries, double[] values)
    {
        ArgumentNullException.ThrowIfNull(boundaries);
        ArgumentNullException.ThrowIfNull(values);
        if (values.Length != boundaries.Length + 1)
            throw new ArgumentException($"PiecewiseConstantDecay: values must have one more element than boundaries; got {values.Length} values for {boundaries.Length} boundaries.");
        for (int i = 1; i < boundaries.Length; i++)
            if (boundaries[i] <= boundaries[i - 1]) throw new ArgumentException($"PiecewiseConstantDecay: boundaries must increase; got {boundaries[i - 1]} then {boundaries[i]}.");
        _boundaries = (long[])boundaries.Clone();
        _values = (double[])values.Clone();
    }

    /// <summary>The step boundaries.</summary>
    public IReadOnlyList<long> Boundaries => _boundaries;

    /// <summary>The rates, one per interval.</summary>
    public IReadOnlyList<double> Values => _values;

    /// <inheritdoc />
    public override float Compute(long step)
    {
        int i = 0;
        while (i < _boundaries.Length && step > _boundaries[i]) i++;
        return (float)_values[i];
    }

    /// <inheritdoc />
    public override Dictionary<string, object?> GetConfig() => new() { ["boundaries"] = _boundaries, ["values"] = _values };
}

/// <summary>
/// Keras' <c>PolynomialDecay</c>: (initial − end)·(1 − s/decay_steps)^power + end with s = min(step, decay_steps); with
/// <c>cycle</c> the decay restarts, decay_steps stretched to the next multiple past the step. Defaults end 1e-4, power 1.
/// </summary>
public sealed class PolynomialDecay : LearningRateSchedule
{
    /// <summary>Creates the schedule with Keras' argument names and defaults.</summary>
    public PolynomialDecay(double initialLearningRate, long decaySteps, double endLearningRate = 1e-4, double power = 1.0, bool cycle = false)
    {
        if (decaySteps <= 0) throw new ArgumentOutOfRangeException(nameof(decaySteps), $"PolynomialDecay: decay_steps must be positive; got {decaySteps}.");
        InitialLearningRate = initialLearningRate;
        DecaySteps = decaySteps;
        EndLearningRate = endLearningRate;
        Power = power;
        Cycle = cycle;
    }

    /// <summary>The rate at step 0.</summary>
    public double InitialLearningRate { get; }

    /// <summary>The decay length.</summary>
    public long DecaySteps { get; }

    /// <summary>The rate at the end of the decay.</summary>
    public double EndLearningRate { get; }

    /// <summary>The polynomial's power.</summary>
    public double Power { get; }

    /// <summary>Whether the decay restarts after <see cref="DecaySteps"/>.</summary>
    public bool Cycle { get; }

    /// <inheritdoc />
    public override float Compute(long step)
    {
        double s = step, d = DecaySteps;
        if (Cycle)
        {
            double mult = step == 0 ? 1 : Math.Ceiling(s / d);
            d *= mult;
        }
        else s = Math.Min(s, d);
        return (float)((InitialLearningRate - EndLearningRate) * Math.Pow(1 - s / d, Power) + EndLearningRate);
    }

    /// <inheritdoc />
    public override Dictionary<string, object?> GetConfig() => new()
    {
        ["initial_learning_rate"] = InitialLearningRate, ["decay_steps"] = DecaySteps, ["end_learning_rate"] = EndLearningRate, ["power"] = Power, ["cycle"] = Cycle,
    };
}

/// <summary>Keras' <c>InverseTimeDecay</c>: initial / (1 + rate·step/decay_steps), the ratio floored when <c>staircase</c>.</summary>
public sealed class InverseTimeDecay : LearningRateSchedule
{
    /// <summary>Creates the schedule with Keras' argument names.</summary>
    public InverseTimeDecay(double initialLearningRate, long decaySteps, double decayRate, bool staircase = false)
    {
        if (decaySteps <= 0) throw new ArgumentOutOfRangeException(nameof(decaySteps), $"InverseTimeDecay: decay_steps must be positive; got {decaySteps}.");
        InitialLearningRate = initialLearningRate;
        DecaySteps = decaySteps;
        DecayRate = decayRate;
        Staircase = staircase;
    }

    /// <summary>The rate at step 0.</summary>
    public double InitialLearningRate { get; }

    /// <summary>The step scale.</summary>
    public long DecaySteps { get; }

    /// <summary>The decay rate.</summary>
    public double DecayRate { get; }

    /// <summary>Whether step/decay_steps is floored.</summary>
    public bool Staircase { get; }

    /// <inheritdoc />
    public override float Compute(long step)
    {
        double p = (double)step / DecaySteps;
        if (Staircase) p = Math.Floor(p);
        return (float)(InitialLearningRate / (1 + DecayRate * p));
    }

    /// <inheritdoc />
    public override Dictionary<string, object?> GetConfig() => new()
    {
        ["initial_learning_rate"] = InitialLearningRate, ["decay_steps"] = DecaySteps, ["decay_rate"] = DecayRate, ["staircase"] = Staircase,
    };
}

/// <summary>
/// Keras' <c>CosineDecayRestarts</c> (SGDR, Loshchilov &amp; Hutter): cosine decay over <c>first_decay_steps</c>, then
/// restarts, each period <c>t_mul</c> times longer and each restart's peak <c>m_mul</c> times the last; α is the floor as
/// a fraction of the initial rate. Defaults t_mul 2, m_mul 1, α 0.
/// </summary>
public sealed class CosineDecayRestarts : LearningRateSchedule
{
    /// <summary>Creates the schedule with Keras' argument names and defaults.</summary>
    public CosineDecayRestarts(double initialLearningRate, long firstDecaySteps, double tMul = 2.0, double mMul = 1.0, double alpha = 0.0)
    {
        if (firstDecaySteps <= 0) throw new ArgumentOutOfRangeException(nameof(firstDecaySteps), $"CosineDecayRestarts: first_decay_steps must be positive; got {firstDecaySteps}.");
        if (!(tMul > 0)) throw new ArgumentOutOfRangeException(nameof(tMul), $"CosineDecayRestarts: t_mul must be positive; got {tMul}.");
        InitialLearningRate = initialLearningRate;
        FirstDecaySteps = firstDecaySteps;
        TMul = tMul;
        MMul = mMul;
        Alpha = alpha;
    }

    /// <summary>The rate at step 0.</summary>
    public double InitialLearningRate { get; }

    /// <summary>The length of the first period.</summary>
    public long FirstDecaySteps { get; }

    /// <summary>The factor by which each period is longer than the last.</summary>
    public double TMul { get; }

    /// <summary>The factor by which each restart's peak is smaller than the last.</summary>
    public double MMul { get; }

    /// <summary>The floor as a fraction of the initial rate.</summary>
    public double Alpha { get; }

    /// <inheritdoc />
    public override float Compute(long step)
    {
        double fraction = (double)step / FirstDecaySteps;
        double restart;
        if (TMul == 1.0)
        {
            restart = Math.Floor(fraction);
            fraction -= restart;
        }
        else
        {
            restart = Math.Floor(Math.Log(1 - fraction * (1 - TMul)) / Math.Log(TMul));
            double sumR = (1 - Math.Pow(TMul, restart)) / (1 - TMul);
            fraction = (fraction - sumR) / Math.Pow(TMul, restart);
        }
        double cosine = 0.5 * Math.Pow(MMul, restart) * (1 + Math.Cos(Math.PI * fraction));
        return (float)(InitialLearningRate * ((1 - Alpha) * cosine + Alpha));
    }

    /// <inheritdoc />
    public override Dictionary<string, object?> GetConfig() => new()
    {
        ["initial_learning_rate"] = InitialLearningRate, ["first_decay_steps"] = FirstDecaySteps, ["t_mul"] = TMul, ["m_mul"] = MMul, ["alpha"] = Alpha,
    };
}
