using Praxis.Models;

namespace Praxis.Callbacks;

/// <summary>
/// Stops training when a monitored quantity has stopped improving (Keras <c>keras.callbacks.EarlyStopping</c>).
/// </summary>
/// <remarks>
/// Keras semantics: at the end of each epoch from <see cref="StartFromEpoch"/> on, the value is an improvement when it
/// beats the best so far by more than <see cref="MinDelta"/> (in the direction of <see cref="Mode"/>); otherwise a wait
/// counter grows, and when it reaches <see cref="Patience"/> (and the epoch is not the first) training stops after that
/// epoch. With <see cref="Baseline"/>, the counter only resets on values that also beat the baseline. With
/// <see cref="RestoreBestWeights"/>, the weights of the best epoch are put back when training ends (whether or not it
/// stopped early), as Keras 3 does. Mode <c>auto</c> minimises losses and errors and maximises accuracies; for another
/// metric name pass <c>mode: "min"</c> or <c>"max"</c>.
/// </remarks>
public sealed class EarlyStopping : Callback
{
    private readonly TextWriter? _out;
    private bool _warned;
    private bool _maximise;

    /// <summary>Creates the callback with Keras' defaults.</summary>
    /// <param name="monitor">Logged quantity to watch, e.g. <c>val_loss</c> (default) or <c>val_accuracy</c>.</param>
    /// <param name="minDelta">Smallest change that counts as an improvement (its absolute value is used).</param>
    /// <param name="patience">Epochs without improvement after which training stops.</param>
    /// <param name="verbose">1 prints a line when training stops early and when weights are restored.</param>
    /// <param name="mode"><c>auto</c>, <c>min</c> or <c>max</c>.</param>
    /// <param name="baseline">A value the monitored quantity must beat for the wait counter to reset.</param>
    /// <param name="restoreBestWeights">Put back the weights of the best epoch when training ends.</param>
    /// <param name="startFromEpoch">Epochs to wait (warm-up) before any monitoring.</param>
    /// <param name="output">Where verbose messages go (default: standard output).</param>
    public EarlyStopping(string monitor = "val_loss", double minDelta = 0, int patience = 0, int verbose = 0,
        string mode = "auto", double? baseline = null, bool restoreBestWeights = false, int startFromEpoch = 0,
        TextWriter? output = null)
    {
        if (string.IsNullOrEmpty(monitor)) throw new ArgumentException("EarlyStopping: monitor must name a logged metric.", nameof(monitor));
        if (patience < 0) throw new ArgumentOutOfRangeException(nameof(patience), $"EarlyStopping: patience must be >= 0; got {patience}.");
        if (startFromEpoch < 0) throw new ArgumentOutOfRangeException(nameof(startFromEpoch), $"EarlyStopping: startFromEpoch must be >= 0; got {startFromEpoch}.");
        Monitor = monitor;
        MinDelta = Math.Abs(minDelta);
        Patience = patience;
        Verbose = verbose;
        Mode = Callbacks.Monitor.CheckMode(mode, "EarlyStopping");
        Baseline = baseline;
        RestoreBestWeights = restoreBestWeights;
        StartFromEpoch = startFromEpoch;
        _out = output;
    }

    /// <summary>The logged quantity watched.</summary>
    public string Monitor { get; }

    /// <summary>Minimum change that counts as an improvement (non-negative).</summary>
    public double MinDelta { get; }

    /// <summary>Epochs without improvement before stopping.</summary>
    public int Patience { get; }

    /// <summary>1 prints messages, 0 is silent.</summary>
    public int Verbose { get; }

    /// <summary><c>auto</c>, <c>min</c> or <c>max</c>.</summary>
    public string Mode { get; }

    /// <summary>Optional baseline the value must beat.</summary>
    public double? Baseline { get; }

    /// <summary>Whether the best epoch's weights are restored at the end of training.</summary>
    public bool RestoreBestWeights { get; }

    /// <summary>Number of warm-up epochs not monitored.</summary>
    public int StartFromEpoch { get; }

    /// <summary>Epochs since the last improvement.</summary>
    public int Wait { get; private set; }

    /// <summary>The 0-based epoch at which training was stopped, or 0 if it was not.</summary>
    public int StoppedEpoch { get; private set; }

    /// <summary>The best monitored value so far (null before the first monitored epoch).</summary>
    public double? Best { get; private set; }

    /// <summary>The 0-based epoch of <see cref="Best"/>.</summary>
    public int BestEpoch { get; private set; }

    private List<float[]>? _bestWeights;

    /// <inheritdoc />
    public override void OnTrainBegin(IReadOnlyDictionary<string, double> logs)
    {
        // Reset so one instance can serve several Fit calls.
        Wait = 0;
        StoppedEpoch = 0;
        Best = null;
        BestEpoch = 0;
        _bestWeights = null;
        _maximise = Mode switch
        {
            "max" => true,
            "min" => false,
            _ => Callbacks.Monitor.AutoMaximise(Monitor) ?? throw new ArgumentException(
                $"EarlyStopping: cannot tell whether '{Monitor}' should be minimised or maximised; pass mode: \"min\" or mode: \"max\"."),
        };
    }

    /// <inheritdoc />
    public override void OnEpochEnd(int epoch, IReadOnlyDictionary<string, double> logs)
    {
        if (Callbacks.Monitor.Read(logs, Monitor, "EarlyStopping", ref _warned) is not double current || epoch < StartFromEpoch) return;
        if (RestoreBestWeights && _bestWeights == null)
        {
            // Nothing better seen yet: the current weights are the best.
            _bestWeights = Model.GetWeights();
            BestEpoch = epoch;
        }
        Wait++;
        if (IsImprovement(current, Best))
        {
            Best = current;
            BestEpoch = epoch;
            if (RestoreBestWeights) _bestWeights = Model.GetWeights();
            if (Baseline is not double b || IsImprovement(current, b)) Wait = 0;
            return;
        }
        if (Wait >= Patience && epoch > 0)
        {
            StoppedEpoch = epoch;
            Model.StopTraining = true;
        }
    }

    /// <inheritdoc />
    public override void OnTrainEnd(IReadOnlyDictionary<string, double> logs)
    {
        var output = _out ?? Console.Out;
        if (StoppedEpoch > 0 && Verbose > 0) output.WriteLine($"Epoch {StoppedEpoch + 1}: early stopping");
        if (RestoreBestWeights && _bestWeights != null)
        {
            if (Verbose > 0) output.WriteLine($"Restoring model weights from the end of the best epoch: {BestEpoch + 1}.");
            Model.SetWeights(_bestWeights);
        }
    }

    private bool IsImprovement(double value, double? reference)
    {
        if (reference is not double r) return true;
        return _maximise ? value - MinDelta > r : value + MinDelta < r;
    }
}
