using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Praxis.Callbacks;
using Praxis.Cli.Journal;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Praxis.Cli.Training;

/// <summary>Formats numbers for people: epoch logs the way Keras prints them (<c>loss: 0.1234 - accuracy: 0.9612</c>), percentages, durations.</summary>
public static class LogFormat
{
    /// <summary>The metrics worth showing: all logs except the learning rate while it has not changed.</summary>
    public static string Metrics(IReadOnlyDictionary<string, double> logs, double initialLearningRate, string separator = " - ")
    {
        var sb = new StringBuilder();
        foreach (var (k, v) in logs)
        {
            // The rate is float32 in the optimizer; compare at float precision.
            if (k == "learning_rate" && Math.Abs(v - initialLearningRate) <= 1e-6 * initialLearningRate) continue;
            if (sb.Length > 0) sb.Append(separator);
            sb.Append(k).Append(": ").Append(k == "learning_rate" ? v.ToString("G3", CultureInfo.InvariantCulture) : v.ToString("F4", CultureInfo.InvariantCulture));
        }
        return sb.ToString();
    }

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

    public override void OnTrainBegin(IReadOnlyDictionary<string, double> logs)
    {
        _epochs = (int)Params["epochs"];
        _steps = (int)Params["steps"];
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

    public override void OnTrainBegin(IReadOnlyDictionary<string, double> logs) => _epochs = (int)Params["epochs"];

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
/// Keras-style live progress in a terminal (Spectre.Console): one bar per epoch with batches done, elapsed time or ETA,
/// and the running loss and metrics; finished epochs stay on screen with their final and validation metrics. The
/// columns adapt to the terminal's width: the metrics column gets what is left, abbreviating names
/// (<c>accuracy</c> → <c>acc</c>) and then ending in an ellipsis rather than squeezing the bar.
/// </summary>
internal sealed class LiveProgress(ProgressContext context, double initialLearningRate) : Callback
{
    private readonly Stopwatch _throttle = Stopwatch.StartNew();
    private ProgressTask? _task;
    private int _epochs, _steps;

    public override void OnTrainBegin(IReadOnlyDictionary<string, double> logs)
    {
        _epochs = (int)Params["epochs"];
        _steps = (int)Params["steps"];
    }

    public override void OnEpochBegin(int epoch, IReadOnlyDictionary<string, double> logs)
    {
        _task = context.AddTask($"Epoch {(epoch + 1).ToString(CultureInfo.InvariantCulture).PadLeft(_epochs.ToString(CultureInfo.InvariantCulture).Length)}/{_epochs}", autoStart: true, maxValue: _steps);
        _task.Tag = new EpochState();
    }

    public override void OnTrainBatchEnd(int batch, IReadOnlyDictionary<string, double> logs)
    {
        if (_task == null) return;
        _task.Value = batch + 1;
        // Formatting every batch would cost more than the batch; the screen refreshes 10 times a second anyway.
        if (_throttle.ElapsedMilliseconds >= 100 || batch + 1 == _steps)
        {
            ((EpochState)_task.Tag!).Set(logs, initialLearningRate);
            _throttle.Restart();
        }
    }

    public override void OnEpochEnd(int epoch, IReadOnlyDictionary<string, double> logs)
    {
        if (_task == null) return;
        ((EpochState)_task.Tag!).Set(logs, initialLearningRate);
        _task.StopTask();
        context.Refresh();
    }

    internal sealed class EpochState
    {
        private volatile string[] _texts = ["", ""];

        /// <summary>The metrics with full names, then with short ones.</summary>
        public string[] Texts => _texts;

        public void Set(IReadOnlyDictionary<string, double> logs, double lr)
        {
            string full = LogFormat.Metrics(logs, lr, "  ");
            _texts = [full, Abbreviate(full)];
        }

        private static string Abbreviate(string s) => s.Replace("accuracy", "acc", StringComparison.Ordinal)
            .Replace("learning_rate", "lr", StringComparison.Ordinal).Replace(": ", " ", StringComparison.Ordinal);
    }

    /// <summary>The progress columns for a terminal <paramref name="width"/> characters wide.</summary>
    public static ProgressColumn[] Columns(int width, int epochs, int steps)
    {
        bool wide = width >= 110;
        int barWidth = wide ? 24 : 12;
        int stepsWidth = 2 * steps.ToString(CultureInfo.InvariantCulture).Length + 1;
        int timeWidth = wide ? 17 : 9;
        int descWidth = 7 + 2 * epochs.ToString(CultureInfo.InvariantCulture).Length;
        int metricsWidth = Math.Max(12, width - descWidth - barWidth - stepsWidth - timeWidth - 6);
        return
        [
            new TaskDescriptionColumn { Alignment = Justify.Left },
            new ProgressBarColumn { Width = barWidth, CompletedStyle = new Style(Color.Green), FinishedStyle = new Style(Color.Green) },
            new StepsColumn(),
            new TimeColumn(wide),
            new MetricsColumn(metricsWidth),
        ];
    }

    private sealed class StepsColumn : ProgressColumn
    {
        public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime)
        {
            int width = ((int)task.MaxValue).ToString(CultureInfo.InvariantCulture).Length;
            return new Text($"{((int)task.Value).ToString(CultureInfo.InvariantCulture).PadLeft(width)}/{(int)task.MaxValue}");
        }
    }

    private sealed class TimeColumn(bool perStep) : ProgressColumn
    {
        public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime)
        {
            if (task.IsFinished)
            {
                double s = (task.ElapsedTime ?? TimeSpan.Zero).TotalSeconds;
                int steps = Math.Max(1, (int)task.Value);
                string text = perStep ? string.Create(CultureInfo.InvariantCulture, $"{LogFormat.Duration(s),5} {1000 * s / steps:F2}ms/step") : $"{LogFormat.Duration(s),9}";
                return new Text(text, new Style(Color.Grey));
            }
            var eta = task.RemainingTime;
            return new Text(eta is { } r ? $"ETA {LogFormat.Duration(r.TotalSeconds),5}" : "ETA     ?", new Style(Color.Yellow));
        }
    }

    private sealed class MetricsColumn(int width) : ProgressColumn
    {
        protected override bool NoWrap => true;

        public override int? GetColumnWidth(RenderOptions options) => width;

        public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime)
        {
            if (task.Tag is not EpochState s) return Text.Empty;
            var texts = s.Texts;
            string text = texts[0].Length <= width ? texts[0] : texts[1];
            if (text.Length > width) text = text[..(width - 1)] + "…";
            return new Text(text, new Style(Color.Aqua));
        }
    }
}
