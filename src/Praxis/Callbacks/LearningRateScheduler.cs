using System.Globalization;

namespace Praxis.Callbacks;

/// <summary>
/// Sets the learning rate at the start of every epoch from a function of the epoch index (and the current rate)
/// (Keras <c>keras.callbacks.LearningRateScheduler</c>). The rate in force is added to the epoch logs as
/// <c>learning_rate</c>.
/// </summary>
/// <example><c>new LearningRateScheduler((epoch, lr) =&gt; epoch &lt; 10 ? lr : lr * Math.Exp(-0.1))</c></example>
public sealed class LearningRateScheduler : Callback
{
    private readonly Func<int, double, double> _schedule;
    private readonly TextWriter? _out;

    /// <summary>A schedule from the 0-based epoch and the current rate to the new rate.</summary>
    public LearningRateScheduler(Func<int, double, double> schedule, int verbose = 0, TextWriter? output = null)
    {
        _schedule = schedule ?? throw new ArgumentNullException(nameof(schedule));
        Verbose = verbose;
        _out = output;
    }

    /// <summary>A schedule from the 0-based epoch alone to the rate.</summary>
    public LearningRateScheduler(Func<int, double> schedule, int verbose = 0, TextWriter? output = null)
        : this(schedule is null ? throw new ArgumentNullException(nameof(schedule)) : (epoch, _) => schedule(epoch), verbose, output) { }

    /// <summary>1 prints the rate set at each epoch.</summary>
    public int Verbose { get; }

    /// <inheritdoc />
    public override void OnEpochBegin(int epoch, IReadOnlyDictionary<string, double> logs)
    {
        var optimizer = Model.Optimizer ?? throw new InvalidOperationException("LearningRateScheduler: the model is not compiled (no optimizer).");
        if (optimizer.Schedule != null)
            throw new InvalidOperationException($"LearningRateScheduler: optimizer '{optimizer.Name}' follows a per-step Schedule, so its learning rate cannot be set; remove one of the two.");
        double lr = _schedule(epoch, optimizer.LearningRate);
        if (!double.IsFinite(lr) || lr < 0)
            throw new InvalidOperationException($"LearningRateScheduler: the schedule returned {lr} for epoch {epoch}; a learning rate must be finite and >= 0.");
        optimizer.LearningRate = (float)lr;
        if (Verbose > 0)
            (_out ?? Console.Out).WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Epoch {epoch + 1}: LearningRateScheduler setting learning rate to {optimizer.LearningRate:G6}."));
    }

    /// <inheritdoc />
    public override void OnEpochEnd(int epoch, IReadOnlyDictionary<string, double> logs)
    {
        if (logs is IDictionary<string, double> writable && Model.Optimizer is { } o) writable["learning_rate"] = Monitor.LoggedRate(o.LearningRate);
    }
}
