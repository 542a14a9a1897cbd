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
