using System.Globalization;

namespace Praxis.Callbacks;

/// <summary>
/// Lowers the learning rate when a monitored quantity has stopped improving (Keras
/// <c>keras.callbacks.ReduceLROnPlateau</c>).
/// </summary>
/// <remarks>
/// Keras semantics: after each epoch, a value better than the best by more than <see cref="MinDelta"/> resets the wait
/// counter; otherwise (outside a cooldown) the counter grows, and when it reaches <see cref="Patience"/> the rate becomes
/// <c>max(lr · factor, min_lr)</c> (if it is still above <see cref="MinLr"/>), the counter resets and a cooldown
/// of <see cref="Cooldown"/> epochs begins, during which the counter stays at 0 (Keras decrements the cooldown before
/// testing it, so the last cooldown epoch already counts). Mode <c>auto</c> maximises names that
/// contain <c>acc</c> and minimises everything else, as Keras. The current rate is added to the epoch logs as
/// <c>learning_rate</c>, so History, CSVLogger and progress output (which run after user callbacks) record it.
/// </remarks>
public sealed class ReduceLROnPlateau : Callback
{
    private readonly TextWriter? _out;
    private bool _warned;
    private bool _maximise;

    /// <summary>Creates the callback with Keras' defaults.</summary>
    /// <param name="monitor">Logged quantity to watch (default <c>val_loss</c>).</param>
    /// <param name="factor">Multiplier applied to the rate, in (0, 1).</param>
    /// <param name="patience">Epochs without improvement before the rate is lowered.</param>
    /// <param name="verbose">1 prints a line whenever the rate is lowered.</param>
    /// <param name="mode"><c>auto</c>, <c>min</c> or <c>max</c>.</param>
    /// <param name="minDelta">Threshold for a new best, in the monitored units.</param>
    /// <param name="cooldown">Epochs to wait after a reduction before counting again.</param>
    /// <param name="minLr">Lower bound on the rate (Keras <c>min_lr</c>).</param>
    /// <param name="output">Where verbose messages go (default: standard output).</param>
    public ReduceLROnPlateau(string monitor = "val_loss", double factor = 0.1, int patience = 10, int verbose = 0,
        string mode = "auto", double minDelta = 1e-4, int cooldown = 0, double minLr = 0, TextWriter? output = null)
    {
        if (string.IsNullOrEmpty(monitor)) throw new ArgumentException("ReduceLROnPlateau: monitor must name a logged metric.", nameof(monitor));
        if (!(factor < 1.0)) throw new ArgumentOutOfRangeException(nameof(factor), $"ReduceLROnPlateau does not support a factor >= 1.0; got {factor}.");
        if (!(factor > 0)) throw new ArgumentOutOfRangeException(nameof(factor), $"ReduceLROnPlateau: factor must be > 0; got {factor}.");
        if (patience < 0) throw new ArgumentOutOfRangeException(nameof(patience), $"ReduceLROnPlateau: patience must be >= 0; got {patience}.");
        if (cooldown < 0) throw new ArgumentOutOfRangeException(nameof(cooldown), $"ReduceLROnPlateau: cooldown must be >= 0; got {cooldown}.");
        if (minLr < 0) throw new ArgumentOutOfRangeException(nameof(minLr), $"ReduceLROnPlateau: minLr must be >= 0; got {minLr}.");
        Monitor = monitor;
        Factor = factor;
        Patience = patience;
        Verbose = verbose;
        Mode = Callbacks.Monitor.CheckMode(mode, "ReduceLROnPlateau");
        MinDelta = minDelta;
        Cooldown = cooldown;
        MinLr = minLr;
        _out = output;
    }

    /// <summary>The logged quantity watched.</summary>
    public string Monitor { get; }

    /// <summary>Factor the rate is multiplied by.</summary>
    public double Factor { get; }

    /// <summary>Epochs without improvement before lowering the rate.</summary>
    public int Patience { get; }

    /// <summary>1 prints messages, 0 is silent.</summary>
    public int Verbose { get; }

    /// <summary><c>auto</c>, <c>min</c> or <c>max</c>.</summary>
    public string Mode { get; }

    /// <summary>Threshold for measuring a new best.</summary>
    public double MinDelta { get; }

    /// <summary>Epochs of cooldown after a reduction.</summary>
    public int Cooldown { get; }

    /// <summary>Lower bound on the learning rate.</summary>
    public double MinLr { get; }

    /// <summary>Epochs since the last improvement (outside cooldown).</summary>
    public int Wait { get; private set; }

    /// <summary>Best monitored value so far.</summary>
    public double Best { get; private set; }

    private int _cooldownCounter;

    /// <inheritdoc />
    public override void OnTrainBegin(IReadOnlyDictionary<string, double> logs)
    {
        _maximise = Mode == "max" || (Mode == "auto" && Monitor.Contains("acc", StringComparison.Ordinal));
        Best = _maximise ? double.NegativeInfinity : double.PositiveInfinity;
        Wait = 0;
        _cooldownCounter = 0;
        RequireSettableRate();
    }

    /// <inheritdoc />
    public override void OnEpochEnd(int epoch, IReadOnlyDictionary<string, double> logs)
    {
        var optimizer = RequireSettableRate();
        if (logs is IDictionary<string, double> writable) writable["learning_rate"] = Callbacks.Monitor.LoggedRate(optimizer.LearningRate);
        if (Callbacks.Monitor.Read(logs, Monitor, "ReduceLROnPlateau", ref _warned) is not double current) return;

        if (_cooldownCounter > 0)
        {
            _cooldownCounter--;
            Wait = 0;
        }
        if (_maximise ? current > Best + MinDelta : current < Best - MinDelta)
        {
            Best = current;
            Wait = 0;
        }
        else if (_cooldownCounter == 0) // tested after the decrement, as Keras: a cooldown of c rests c − 1 epochs
        {
            Wait++;
            if (Wait >= Patience)
            {
                double old = optimizer.LearningRate;
                if (old > (float)MinLr)
                {
                    double lr = Math.Max(old * Factor, MinLr);
                    optimizer.LearningRate = (float)lr;
                    if (Verbose > 0)
                        (_out ?? Console.Out).WriteLine(string.Create(CultureInfo.InvariantCulture,
                            $"Epoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {optimizer.LearningRate:G6}."));
                    _cooldownCounter = Cooldown;
                    Wait = 0;
                }
            }
        }
    }

    private Optimizers.Optimizer RequireSettableRate()
    {
        var optimizer = Model.Optimizer ?? throw new InvalidOperationException("ReduceLROnPlateau: the model is not compiled (no optimizer).");
        if (optimizer.Schedule != null)
            throw new InvalidOperationException($"ReduceLROnPlateau: optimizer '{optimizer.Name}' follows a per-step Schedule, so its learning rate cannot be set; remove the Schedule or the callback.");
        return optimizer;
    }
}
