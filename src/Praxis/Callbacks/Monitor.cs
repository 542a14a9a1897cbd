namespace Praxis.Callbacks;

/// <summary>
/// Shared by the callbacks that watch one logged quantity (<see cref="EarlyStopping"/>, <see cref="ReduceLROnPlateau"/>):
/// resolves Keras' <c>mode</c> strings and reads the value from the epoch logs.
/// </summary>
internal static class Monitor
{
    /// <summary>Validates a Keras mode string: <c>auto</c>, <c>min</c> or <c>max</c>.</summary>
    public static string CheckMode(string mode, string callback)
    {
        string m = (mode ?? "").ToLowerInvariant();
        if (m is not ("auto" or "min" or "max"))
            throw new ArgumentException($"{callback}: mode must be \"auto\", \"min\" or \"max\"; got \"{mode}\".", nameof(mode));
        return m;
    }

    /// <summary>
    /// Whether larger is better for <paramref name="monitor"/> under mode <c>auto</c>: losses and errors are minimised,
    /// accuracies (and AUC) maximised. Null when the name says neither.
    /// </summary>
    public static bool? AutoMaximise(string monitor)
    {
        string name = monitor.StartsWith("val_", StringComparison.Ordinal) ? monitor[4..] : monitor;
        if (name == "loss" || name.EndsWith("loss", StringComparison.Ordinal) || name.EndsWith("error", StringComparison.Ordinal)
            || name is "mse" or "mae" or "mape" or "msle" or "rmse")
            return false;
        if (name.Contains("acc", StringComparison.Ordinal) || name.Contains("auc", StringComparison.Ordinal)
            || name.Contains("precision", StringComparison.Ordinal) || name.Contains("recall", StringComparison.Ordinal))
            return true;
        return null;
    }

    /// <summary>
    /// A float32 learning rate as the logs show it: the shortest decimal that reads back as the same float (0.001f is
    /// logged as 0.001, not 0.0010000000474974513).
    /// </summary>
    public static double LoggedRate(float lr) =>
        float.IsFinite(lr) ? double.Parse(lr.ToString("R", System.Globalization.CultureInfo.InvariantCulture), System.Globalization.CultureInfo.InvariantCulture) : lr;

    /// <summary>The monitored value, or null (after one warning on stderr, as Keras warns) when the logs lack it.</summary>
    public static double? Read(IReadOnlyDictionary<string, double> logs, string monitor, string callback, ref bool warned)
    {
        if (logs.TryGetValue(monitor, out double v)) return v;
        if (!warned)
        {
            warned = true;
            Console.Error.WriteLine($"{callback}: monitored metric '{monitor}' is not in the logs; available: {string.Join(", ", logs.Keys)}. " +
                "Pass validation data (or validationSplit) to monitor a val_ metric.");
        }
        return null;
    }
}
