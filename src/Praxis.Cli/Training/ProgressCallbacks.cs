using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Praxis.Callbacks;
using Praxis.Cli.Journal;

namespace Praxis.Cli.Training;

/// <summary>Formats numbers for people: epoch logs the way Keras prints them (<c>loss: 0.1234 - accuracy: 0.9612</c>), percentages, durations.</summary>
public static class LogFormat
{
    /// <summary>Logged values that are counts, shown without decimals (the GAN judge's <c>classes</c>).</summary>
    public static readonly IReadOnlySet<string> CountKeys = new HashSet<string>(StringComparer.Ordinal) { "classes" };

    /// <summary>The metrics worth showing: all logs except the learning rate while it has not changed.</summary>
    public static string Metrics(IReadOnlyDictionary<string, double> logs, double initialLearningRate, string separator = " - ")
    {
        var sb = new StringBuilder();
        foreach (var (k, v) in logs)
        {
            // The rate is float32 in the optimizer; compare at float precision.
            if (k == "learning_rate" && Math.Abs(v - initialLearningRate) <= 1e-6 * initialLearningRate) continue;
            if (sb.Length > 0) sb.Append(separator);
            sb.Append(k).Append(": ").Append(k == "learning_rate" ? v.ToString("G3", CultureInfo.InvariantCulture)
                : CountKeys.Contains(k) ? v.ToString("F0", CultureInfo.InvariantCulture) : v.ToString("F4", CultureInfo.InvariantCulture));
        }
        return sb.ToString();
    }

    /// <summary><c>1 epoch</c>, <c>2 epochs</c>.</summary>
    public static string Count(int n, string noun) => n.ToString(CultureInfo.InvariantCulture) + " " + (n == 1 ? noun : noun + "s");

    /// <summary>
    /// How much a run trained, counting an epoch that ended early apart: <c>3 epochs</c>, or <c>1 epoch and 500/1688
    /// batches of epoch 2</c> (<paramref name="epochsRun"/> includes that partial epoch, as result.json's <c>epochs_run</c>).
    /// </summary>
    public static string EpochsTrained(int epochsRun, PartialEpoch? partial) =>
        partial == null || partial.Epoch != epochsRun ? Count(epochsRun, "epoch")
            : string.Create(CultureInfo.InvariantCulture, $"{(epochsRun > 1 ? Count(epochsRun - 1, "full epoch") + " and " : "")}{partial.Batches}/{partial.Steps} batches of epoch {partial.Epoch}");

    /// <summary>A fraction as a percentage: <c>97.12%</c>.</summary>
    public static string Percent(double fraction, int decimals = 2) =>
        (100 * fraction).ToString("F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture) + "%";

    /// <summary>A float32 value (a learning rate) as the double it was written as: 0.001f → 0.001, not 0.0010000000474974513.</summary>
    public static double Clean(float value) =>
        float.IsFinite(value) ? double.Parse(value.ToString("R", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture) : value;

    /// <summary>Seconds as <c>4.2s</c>, <c>1m05s</c> or <c>1h02m</c>.</summary>
    public static string Duration(double seconds)
    {
        if (seconds < 60) return seconds.ToString(seconds < 10 ? "F1" : "F0", CultureInfo.InvariantCulture) + "s";
        var t = TimeSpan.FromSeconds(seconds);
        return t.TotalHours >= 1 ? $"{(int)t.TotalHours}h{t.Minutes:00}m" : $"{t.Minutes}m{t.Seconds:00}s";
    }
}

/// <summary>Adds the optimizer's current learning rate to each epoch's logs (so metrics.csv and History record it).</summary>
internal sealed class LogLearningRate : Callback
{
    public override void OnEpochEnd(int epoch, IReadOnlyDictionary<string, double> logs)
    {
        if (logs is IDictionary<string, double> d && Model.Optimizer is { } o) d["learning_rate"] = LogFormat.Clean(o.LearningRate);
    }
}

/// <summary>Ends training after the current batch once <see cref="Request"/> is called (Ctrl+C).</summary>
internal sealed class StopOnRequest : Callback
{
    private volatile bool _requested;

    public bool Requested => _requested;

    public void Request() => _requested = true;

    public override void OnTrainBatchEnd(int batch, IReadOnlyDictionary<string, double> logs)
    {
        if (_requested) Model.StopTraining = true;
    }
}

/// <summary>Times each epoch.</summary>
internal sealed class EpochClock : Callback
{
    private readonly Stopwatch _clock = new();

    public List<double> Seconds { get; } = new();

    public override void OnEpochBegin(int epoch, IReadOnlyDictionary<string, double> logs) => _clock.Restart();

    public override void OnEpochEnd(int epoch, IReadOnlyDictionary<string, double> logs) => Seconds.Add(_clock.Elapsed.TotalSeconds);
}

/// <summary>
/// Progress for pipes, files and CI logs: exactly one plain line per epoch, no carriage returns or escape codes:
/// <c>Epoch 1/5 - 1688/1688 - 1.2s 0.71ms/step - loss: 0.3140 - accuracy: 0.9114 - val_loss: …</c>.
/// </summary>
internal sealed class PlainProgress(TextWriter output, double initialLearningRate) : Callback
{
    private readonly Stopwatch _clock = new();
    private int _epochs, _steps, _batches;

    public override void OnTrainBegin(IReadOnlyDictionary<string, double> logs) => Begin((int)Params["epochs"], (int)Params["steps"]);

    /// <summary>Starts reporting without <c>Model.Fit</c> (a custom loop such as the GAN's calls the epoch and batch hooks itself).</summary>
    public void Begin(int epochs, int steps)
    {
        _epochs = epochs;
        _steps = steps;
    }

    public override void OnEpochBegin(int epoch, IReadOnlyDictionary<string, double> logs)
    {
        _batches = 0;
        _clock.Restart();
    }

    public override void OnTrainBatchEnd(int batch, IReadOnlyDictionary<string, double> logs) => _batches = batch + 1;

    public override void OnEpochEnd(int epoch, IReadOnlyDictionary<string, double> logs)
    {
        double s = _clock.Elapsed.TotalSeconds;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Epoch {epoch + 1}/{_epochs} - {_batches}/{_steps} - {LogFormat.Duration(s)} {1000 * s / Math.Max(_batches, 1):F2}ms/step - {LogFormat.Metrics(logs, initialLearningRate)}"));
        output.Flush();
    }
}

/// <summary>Machine-readable progress: one JSON object per line and epoch (<c>--json</c>).</summary>
internal sealed class JsonProgress(TextWriter output) : Callback
{
    private readonly Stopwatch _clock = new();
    private int _epochs;

    public override void OnTrainBegin(IReadOnlyDictionary<string, double> logs) => Begin((int)Params["epochs"]);

    /// <summary>Starts reporting without <c>Model.Fit</c> (see <see cref="PlainProgress.Begin"/>).</summary>
    public void Begin(int epochs) => _epochs = epochs;

    public override void OnEpochBegin(int epoch, IReadOnlyDictionary<string, double> logs) => _clock.Restart();

    public override void OnEpochEnd(int epoch, IReadOnlyDictionary<string, double> logs)
    {
        var o = new JsonObject { ["event"] = "epoch", ["epoch"] = epoch + 1, ["epochs"] = _epochs, ["seconds"] = Math.Round(_clock.Elapsed.TotalSeconds, 3) };
        foreach (var (k, v) in logs) o[k] = double.IsFinite(v) ? v : null;
        output.WriteLine(o.ToJsonString(RunFolder.Compact));
        output.Flush();
    }
}

/// <summary>
/// Keras-style live progress in a terminal: one bar per epoch, redrawn in place, with batches done, the ETA and the
/// running loss and metrics; when the epoch ends its line is completed with the time per step and the validation
/// metrics, and stays on screen. The line adapts to the terminal's width: metric names are abbreviated
/// (<c>accuracy</c> → <c>acc</c>) and then cut with an ellipsis rather than wrapping.
/// </summary>
/// <remarks>
/// Drawn directly with ANSI codes from the training thread, at most 8 times a second. Spectre.Console's live
/// Progress display was tried first: one refresh of three bars took 15 ms and allocated 200 KB here, and its refresh
/// thread doubled the training time of seed-mlp on this 2-core machine; building this line costs microseconds.
/// </remarks>
internal sealed partial class LiveProgress(TextWriter output, int width, bool colour, double initialLearningRate, bool validation = false) : Callback
{
    private const long RedrawMs = 125;
    private const char Done = '━', ToDo = '─'; // heavy and light: the bar reads without colour too (a plain capture, a screen reader)
    private readonly Stopwatch _epochClock = new();
    private readonly StringBuilder _line = new(256);
    private readonly Dictionary<string, double> _expected = new();
    private long _lastDraw;
    private int _epochs, _steps, _done, _lastVisible, _style;
    private string _label = "";

    private string Green => colour ? "\u001b[32m" : "";
    private string Grey => colour ? "\u001b[90m" : "";
    private string Yellow => colour ? "\u001b[33m" : "";
    private string Cyan => colour ? "\u001b[36m" : "";
    private string Bold => colour ? "\u001b[1m" : "";
    private string Reset => colour ? "\u001b[0m" : "";

    public override void OnTrainBegin(IReadOnlyDictionary<string, double> logs) => Begin((int)Params["epochs"], (int)Params["steps"]);

    /// <summary>Starts reporting without <c>Model.Fit</c> (a custom loop such as the GAN's calls the epoch and batch hooks itself).</summary>
    public void Begin(int epochs, int steps)
    {
        _epochs = epochs;
        _steps = steps;
    }

    public override void OnEpochBegin(int epoch, IReadOnlyDictionary<string, double> logs)
    {
        _label = $"Epoch {(epoch + 1).ToString(CultureInfo.InvariantCulture).PadLeft(_epochs.ToString(CultureInfo.InvariantCulture).Length)}/{_epochs}";
        _done = 0;
        _epochClock.Restart();
        Draw(logs, finished: false);
    }

    public override void OnTrainBatchEnd(int batch, IReadOnlyDictionary<string, double> logs)
    {
        _done = batch + 1;
        long now = _epochClock.ElapsedMilliseconds;
        if (now - _lastDraw < RedrawMs && _done < _steps) return;
        Draw(logs, finished: false);
    }

    public override void OnEpochEnd(int epoch, IReadOnlyDictionary<string, double> logs)
    {
        Draw(logs, finished: true);
        output.Write('\n');
        _lastVisible = 0;
        output.Flush();
    }

    private void Draw(IReadOnlyDictionary<string, double> logs, bool finished)
    {
        _lastDraw = _epochClock.ElapsedMilliseconds;
        bool wide = width >= 110;
        double seconds = _epochClock.Elapsed.TotalSeconds;
        string steps = $"{_done.ToString(CultureInfo.InvariantCulture).PadLeft(_steps.ToString(CultureInfo.InvariantCulture).Length)}/{_steps}";
        string time = finished
            ? wide ? string.Create(CultureInfo.InvariantCulture, $"{LogFormat.Duration(seconds),5} {1000 * seconds / Math.Max(_done, 1):F2}ms/step") : $"{LogFormat.Duration(seconds),5}"
            : _done == 0 ? "ETA     ?" : $"ETA {LogFormat.Duration(seconds / _done * (_steps - _done)),5}";

        // Visible width: label, bar, steps, time, metrics, single spaces between; one column spare so it never wraps.
        // Narrow terminals get abbreviated metric names first, then a shorter bar, then an ellipsis. The style is chosen
        // for the epoch's finished line (its longer time and its val_ metrics) and never goes back to a longer one, so
        // the live line and the line it becomes, and one epoch and the next, name the metrics alike.
        int fixedWidth = _label.Length + 1 + 1 + steps.Length + 1 + Math.Max(time.Length, wide ? 18 : 5) + 1;
        int maxBar = wide ? 24 : 12, minBar = wide ? 24 : 4;
        var styles = Styles(LogFormat.Metrics(logs, initialLearningRate, "  "));
        var expected = finished || !validation ? styles : Styles(LogFormat.Metrics(WithValidation(logs), initialLearningRate, "  "));
        int style = styles.Length - 1;
        for (int i = _style; i < styles.Length; i++)
            if (width - 1 - fixedWidth - expected[i].Length >= minBar) { style = i; break; }
        _style = Math.Max(_style, style);
        string metrics = styles[_style];
        int barWidth = Math.Clamp(width - 1 - fixedWidth - expected[_style].Length, minBar, maxBar);
        int room = width - 1 - fixedWidth - barWidth;
        if (metrics.Length > room) metrics = room <= 1 ? "" : metrics[..(room - 1)] + "…";
        int filled = _steps == 0 ? barWidth : (int)((long)barWidth * _done / _steps);

        var sb = _line.Clear();
        sb.Append('\r').Append(_label).Append(' ')
          .Append(Green).Append(Done, filled).Append(Grey).Append(ToDo, barWidth - filled).Append(Reset).Append(' ')
          .Append(steps).Append(' ')
          .Append(finished ? Grey : Yellow).Append(time).Append(Reset).Append(' ')
          .Append(finished ? Bold : "").Append(Cyan).Append(metrics).Append(Reset);
        // Clear what a longer previous line left behind.
        int visible = sb.Length - (colour ? 0 : 1);
        if (colour) sb.Append("\u001b[K");
        else if (visible < _lastVisible) sb.Append(' ', _lastVisible - visible);
        _lastVisible = visible;
        output.Write(sb);
        output.Flush();
    }

    /// <summary>The metrics in full, with abbreviated names, and with three decimals: the styles, longest first.</summary>
    private static string[] Styles(string full)
    {
        string abbreviated = Abbreviate(full);
        return [full, abbreviated, ThreeDecimals().Replace(abbreviated, "$1")];
    }

    /// <summary>The logs as the epoch's finished line will show them: each metric again with a val_ prefix.</summary>
    private Dictionary<string, double> WithValidation(IReadOnlyDictionary<string, double> logs)
    {
        _expected.Clear();
        foreach (var (k, v) in logs) _expected[k] = v;
        foreach (var (k, v) in logs)
            if (k != "learning_rate" && !k.StartsWith("val_", StringComparison.Ordinal)) _expected.TryAdd("val_" + k, v);
        return _expected;
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"(\d\.\d{3})\d")]
    private static partial System.Text.RegularExpressions.Regex ThreeDecimals();

    private static string Abbreviate(string s) => s.Replace("accuracy", "acc", StringComparison.Ordinal)
        .Replace("learning_rate", "lr", StringComparison.Ordinal).Replace(": ", " ", StringComparison.Ordinal)
        .Replace("  ", " ", StringComparison.Ordinal);
}
