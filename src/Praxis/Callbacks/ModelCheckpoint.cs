using System.Globalization;
using System.Text.RegularExpressions;
using Praxis.IO;

namespace Praxis.Callbacks;

/// <summary>
/// Saves the model (or its weights) during <c>Fit</c>, as Keras <c>ModelCheckpoint</c>: after every epoch, every
/// <c>saveFreq</c> batches, or only when the monitored metric improves (<c>saveBestOnly</c>). Each save is
/// crash-safe (temporary file, fsync, atomic rename), so a crash mid-save leaves the previous checkpoint loadable.
/// </summary>
/// <remarks>
/// <c>filepath</c> may contain Keras-style fields: <c>{epoch}</c> / <c>{epoch:02d}</c> (1-based, as in
/// Keras) and any log value such as <c>{val_loss:.4f}</c> or <c>{accuracy}</c>, e.g.
/// <c>"ckpt/model-{epoch:02d}-{val_loss:.3f}.praxis"</c>.
/// </remarks>
public sealed partial class ModelCheckpoint : Callback
{
    private readonly string _filepath;
    private readonly bool _maximize;
    private double _best;
    private int _batchesSinceSave;
    private int _epoch;
    private bool _warned;

    /// <summary>Creates the callback.</summary>
    /// <param name="filepath">Where to save; may contain <c>{epoch:02d}</c> and <c>{metric:.4f}</c> fields.</param>
    /// <param name="monitor">The log value compared by <paramref name="saveBestOnly"/> (default <c>val_loss</c>).</param>
    /// <param name="verbose">1 prints a line per save.</param>
    /// <param name="saveBestOnly">Save only when <paramref name="monitor"/> improves on the best so far.</param>
    /// <param name="saveWeightsOnly">Save weights only (<c>SaveWeights</c>) instead of the whole model.</param>
    /// <param name="mode"><c>auto</c> (max for accuracy-like names, else min), <c>min</c> or <c>max</c>.</param>
    /// <param name="saveFreq">Null: at the end of every epoch (Keras <c>"epoch"</c>); N: every N training batches.</param>
    /// <param name="initialValueThreshold">With <paramref name="saveBestOnly"/>, the value to beat before the first save.</param>
    public ModelCheckpoint(string filepath, string monitor = "val_loss", int verbose = 0, bool saveBestOnly = false,
        bool saveWeightsOnly = false, string mode = "auto", int? saveFreq = null, double? initialValueThreshold = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(filepath);
        if (saveFreq is <= 0) throw new ArgumentOutOfRangeException(nameof(saveFreq), $"saveFreq must be positive (or null for every epoch); got {saveFreq}.");
        _filepath = filepath;
        Monitor = monitor;
        Verbose = verbose;
        SaveBestOnly = saveBestOnly;
        SaveWeightsOnly = saveWeightsOnly;
        SaveFreq = saveFreq;
        _maximize = mode switch
        {
            "max" => true,
            "min" => false,
            "auto" => monitor.Contains("acc", StringComparison.Ordinal) || monitor.StartsWith("fmeasure", StringComparison.Ordinal) || monitor.Contains("auc", StringComparison.Ordinal),
            _ => throw new ArgumentException($"mode must be 'auto', 'min' or 'max'; got '{mode}'.", nameof(mode)),
        };
        _best = initialValueThreshold ?? (_maximize ? double.NegativeInfinity : double.PositiveInfinity);
    }

    /// <summary>The monitored log value.</summary>
    public string Monitor { get; }

    /// <summary>1 prints a line per save.</summary>
    public int Verbose { get; }

    /// <summary>Whether only improvements are saved.</summary>
    public bool SaveBestOnly { get; }

    /// <summary>Whether only weights are saved.</summary>
    public bool SaveWeightsOnly { get; }

    /// <summary>Null for every epoch; otherwise the number of batches between saves.</summary>
    public int? SaveFreq { get; }

    /// <summary>The best monitored value so far (±∞ before the first).</summary>
    public double Best => _best;

    /// <summary>The path of the last file written, if any.</summary>
    public string? LastSavedPath { get; private set; }

    /// <inheritdoc />
    public override void OnEpochBegin(int epoch, IReadOnlyDictionary<string, double> logs) => _epoch = epoch;

    /// <inheritdoc />
    public override void OnTrainBatchEnd(int batch, IReadOnlyDictionary<string, double> logs)
    {
        if (SaveFreq is not int freq) return;
        if (++_batchesSinceSave < freq) return;
        _batchesSinceSave = 0;
        Save(_epoch, logs);
    }

    /// <inheritdoc />
    public override void OnEpochEnd(int epoch, IReadOnlyDictionary<string, double> logs)
    {
        if (SaveFreq == null) Save(epoch, logs);
    }

    private void Save(int epoch, IReadOnlyDictionary<string, double> logs)
    {
        string path = FormatPath(_filepath, epoch, logs);
        if (SaveBestOnly)
        {
            if (!logs.TryGetValue(Monitor, out double current))
            {
                if (!_warned) Console.Error.WriteLine($"ModelCheckpoint: '{Monitor}' is not in the logs ({string.Join(", ", logs.Keys)}); skipping save-best checks.");
                _warned = true;
                return;
            }
            bool better = _maximize ? current > _best : current < _best;
            if (!better)
            {
                if (Verbose > 0) Console.WriteLine($"Epoch {epoch + 1}: {Monitor} did not improve from {_best:F5}");
                return;
            }
            if (Verbose > 0) Console.WriteLine($"Epoch {epoch + 1}: {Monitor} improved from {_best:F5} to {current:F5}, saving model to {path}");
            _best = current;
        }
        else if (Verbose > 0) Console.WriteLine($"Epoch {epoch + 1}: saving model to {path}");
        if (SaveWeightsOnly) Model.SaveWeights(path);
        else Model.Save(path);
        LastSavedPath = path;
    }

    /// <summary>Fills Keras-style fields: <c>{epoch}</c>, <c>{epoch:02d}</c>, <c>{name:.4f}</c>, <c>{name}</c>.</summary>
    public static string FormatPath(string pattern, int epoch, IReadOnlyDictionary<string, double> logs) =>
        Field().Replace(pattern, m =>
        {
            string key = m.Groups[1].Value, spec = m.Groups[2].Success ? m.Groups[2].Value : "";
            double value;
            if (key == "epoch") value = epoch + 1;
            else if (!logs.TryGetValue(key, out value))
                throw new KeyNotFoundException($"ModelCheckpoint path '{pattern}' uses {{{key}}}, which is not in the logs ({string.Join(", ", logs.Keys)}).");
            if (spec.Length == 0) return key == "epoch" ? ((int)value).ToString(CultureInfo.InvariantCulture) : value.ToString("R", CultureInfo.InvariantCulture);
            var d = IntSpec().Match(spec);
            if (d.Success) return ((long)value).ToString(d.Groups[1].Success ? "D" + d.Groups[2].Value : "D", CultureInfo.InvariantCulture);
            var f = FloatSpec().Match(spec);
            if (f.Success) return value.ToString((f.Groups[2].Value == "e" ? "E" : "F") + f.Groups[1].Value, CultureInfo.InvariantCulture);
            throw new FormatException($"ModelCheckpoint path '{pattern}': unsupported format '{spec}' (use 02d, .4f or .3e).");
        });

    [GeneratedRegex(@"\{(\w+)(?::([^}]*))?\}")]
    private static partial Regex Field();

    [GeneratedRegex(@"^(0(\d+))?d$")]
    private static partial Regex IntSpec();

    [GeneratedRegex(@"^\.(\d+)([fe])$")]
    private static partial Regex FloatSpec();
}
