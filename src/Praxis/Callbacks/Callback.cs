using System.Diagnostics;
using System.Globalization;
using System.Text;
using Praxis.Models;

namespace Praxis.Callbacks;

/// <summary>
/// Hooks into <c>Model.Fit</c>, <c>Model.Evaluate</c> and <c>Model.Predict</c> at the Keras points.
/// <c>logs</c> maps metric names (<c>loss</c>, <c>accuracy</c>, <c>val_loss</c>, …) to values; the dictionary is
/// reused between calls, so copy what you keep.
/// </summary>
public abstract class Callback
{
    /// <summary>The model being trained, set before <see cref="OnTrainBegin"/>.</summary>
    public Model Model { get; internal set; } = null!;

    /// <summary>Training parameters: epochs, steps (per epoch), verbose.</summary>
    public IReadOnlyDictionary<string, object> Params { get; internal set; } = new Dictionary<string, object>();

    /// <summary>
    /// True for a callback that only reports or writes files (progress, checkpoints, logs): under data-parallel training
    /// (<see cref="Model.Distribution"/>) it runs on rank 0 only. Callbacks that steer training (early stopping,
    /// learning-rate changes) keep the default false and run on every rank, where they see the same averaged logs.
    /// </summary>
    public virtual bool RootRankOnly => false;

    /// <summary>Before the first epoch.</summary>
    public virtual void OnTrainBegin(IReadOnlyDictionary<string, double> logs) { }

    /// <summary>After the last epoch (or after training stopped).</summary>
    public virtual void OnTrainEnd(IReadOnlyDictionary<string, double> logs) { }

    /// <summary>At the start of an epoch (0-based).</summary>
    public virtual void OnEpochBegin(int epoch, IReadOnlyDictionary<string, double> logs) { }

    /// <summary>At the end of an epoch with its training and validation metrics.</summary>
    public virtual void OnEpochEnd(int epoch, IReadOnlyDictionary<string, double> logs) { }

    /// <summary>Before a training batch (0-based within the epoch).</summary>
    public virtual void OnTrainBatchBegin(int batch, IReadOnlyDictionary<string, double> logs) { }

    /// <summary>After a training batch, with running epoch averages so far.</summary>
    public virtual void OnTrainBatchEnd(int batch, IReadOnlyDictionary<string, double> logs) { }

    /// <summary>Before evaluation.</summary>
    public virtual void OnTestBegin(IReadOnlyDictionary<string, double> logs) { }

    /// <summary>After evaluation.</summary>
    public virtual void OnTestEnd(IReadOnlyDictionary<string, double> logs) { }

    /// <summary>Before prediction.</summary>
    public virtual void OnPredictBegin(IReadOnlyDictionary<string, double> logs) { }

    /// <summary>After prediction.</summary>
    public virtual void OnPredictEnd(IReadOnlyDictionary<string, double> logs) { }
}

/// <summary>Records every epoch's logs; <c>Model.Fit</c> returns it (Keras <c>History</c>).</summary>
public sealed class History : Callback
{
    /// <summary>Epoch indices recorded, in order.</summary>
    public List<int> Epochs { get; } = new();

    /// <summary>Per metric name, the value at each recorded epoch (Keras <c>history.history</c>).</summary>
    public Dictionary<string, List<double>> Metrics { get; } = new();

    /// <summary>The values of one metric per epoch.</summary>
    public IReadOnlyList<double> this[string name] =>
        Metrics.TryGetValue(name, out var v) ? v : throw new KeyNotFoundException($"No metric '{name}' in history; recorded: {string.Join(", ", Metrics.Keys)}.");

    /// <inheritdoc />
    public override void OnEpochEnd(int epoch, IReadOnlyDictionary<string, double> logs)
    {
        Epochs.Add(epoch);
        foreach (var (k, v) in logs)
        {
            if (!Metrics.TryGetValue(k, out var list)) Metrics[k] = list = new List<double>();
            list.Add(v);
        }
    }
}

/// <summary>
/// Prints Keras-style progress. In a terminal (verbose 1): a bar per epoch with steps, ETA and running metrics,
/// redrawn a few times a second. When output is redirected, or with verbose 2: one line per epoch, no control characters.
/// </summary>
public sealed class ProgressLogger : Callback
{
    private readonly TextWriter _out;
    private readonly bool _live;
    private readonly Stopwatch _epochClock = new();
    private long _lastDraw;
    private int _epochs, _steps;

    /// <summary>Creates the logger; <paramref name="verbose"/> 1 = live bar when possible, 2 = one line per epoch.</summary>
    public ProgressLogger(int verbose = 1, TextWriter? output = null)
    {
        _out = output ?? Console.Out;
        _live = verbose == 1 && output == null && !Console.IsOutputRedirected;
    }

    /// <inheritdoc />
    public override bool RootRankOnly => true;

    /// <inheritdoc />
    public override void OnTrainBegin(IReadOnlyDictionary<string, double> logs)
    {
        _epochs = Params.TryGetValue("epochs", out var e) ? (int)e : 0;
        _steps = Params.TryGetValue("steps", out var s) ? (int)s : 0;
    }

    /// <inheritdoc />
    public override void OnEpochBegin(int epoch, IReadOnlyDictionary<string, double> logs)
    {
        _out.WriteLine($"Epoch {epoch + 1}/{_epochs}");
        _epochClock.Restart();
        _lastDraw = 0;
    }

    /// <inheritdoc />
    public override void OnTrainBatchEnd(int batch, IReadOnlyDictionary<string, double> logs)
    {
        if (!_live) return;
        long now = _epochClock.ElapsedMilliseconds;
        if (now - _lastDraw < 150 && batch + 1 < _steps) return;
        _lastDraw = now;
        double perStep = _epochClock.Elapsed.TotalSeconds / (batch + 1);
        double eta = perStep * (_steps - batch - 1);
        var sb = new StringBuilder("\r");
        sb.Append(Bar(batch + 1, _steps)).Append(CultureInfo.InvariantCulture, $" - ETA: {eta:F0}s");
        AppendLogs(sb, logs);
        _out.Write(sb.Append("\u001b[K").ToString());
    }

    /// <inheritdoc />
    public override void OnEpochEnd(int epoch, IReadOnlyDictionary<string, double> logs)
    {
        double secs = _epochClock.Elapsed.TotalSeconds;
        var sb = new StringBuilder(_live ? "\r" : "");
        sb.Append(Bar(_steps, _steps)).Append(CultureInfo.InvariantCulture, $" - {secs:F1}s {1000 * secs / Math.Max(_steps, 1):F2}ms/step");
        AppendLogs(sb, logs);
        if (_live) sb.Append("\u001b[K");
        _out.WriteLine(sb.ToString());
    }

    private static string Bar(int done, int total)
    {
        const int width = 20;
        int filled = total == 0 ? width : (int)((long)width * done / total);
        return $"{done}/{total} [" + new string('=', filled) + new string('.', width - filled) + "]";
    }

    internal static void AppendLogs(StringBuilder sb, IReadOnlyDictionary<string, double> logs)
    {
        foreach (var (k, v) in logs) sb.Append(CultureInfo.InvariantCulture, $" - {k}: {v:F4}");
    }
}
