using System.Globalization;
using System.Text;
using Praxis.Callbacks;

namespace Praxis.Cli.Journal;

/// <summary>
/// Writes a run's <c>metrics.csv</c>: one row per epoch, flushed as it is written. Columns: <c>epoch</c>, numbered from
/// 1 as everything else the CLI shows (result.json, <c>praxis runs</c>, the plots); <c>batches</c> and <c>steps</c>, the
/// batches trained in that epoch out of the epoch's total, so an epoch cut short by Ctrl+C or a diverging loss reads
/// as partial in the file itself; then the logged values.
/// </summary>
/// <remarks>
/// Not Keras' <see cref="CSVLogger"/> (0-based epochs, logs only), which stays as Keras writes it for programs that use
/// it directly: the journal is read by people and by <see cref="MetricsTable"/>, which also reads the older 0-based
/// files (those without a <c>batches</c> column).
/// </remarks>
internal sealed class MetricsLog : IDisposable
{
    /// <summary>The columns that describe the epoch rather than its metrics.</summary>
    public const string EpochColumn = "epoch", BatchesColumn = "batches", StepsColumn = "steps";

    private readonly StreamWriter _writer;
    private IReadOnlyList<string>? _keys;

    /// <summary>Creates (overwrites) <paramref name="path"/>; <paramref name="columns"/> fixes the metric columns, else the first epoch's log keys sorted by name.</summary>
    public MetricsLog(string path, IReadOnlyList<string>? columns = null)
    {
        _writer = new StreamWriter(path, append: false, new UTF8Encoding(false)) { NewLine = "\n" };
        _keys = columns;
    }

    /// <summary>Appends the row of <paramref name="epoch"/> (1-based).</summary>
    public void Write(int epoch, int batches, int steps, IReadOnlyDictionary<string, double> logs)
    {
        var sb = new StringBuilder();
        if (_keys == null)
        {
            var keys = logs.Keys.ToArray();
            Array.Sort(keys, StringComparer.Ordinal);
            _keys = keys;
        }
        if (_writer.BaseStream.Position == 0)
        {
            sb.Append(EpochColumn).Append(',').Append(BatchesColumn).Append(',').Append(StepsColumn);
            foreach (var k in _keys) sb.Append(',').Append(k);
            _writer.WriteLine(sb.ToString());
            sb.Clear();
        }
        sb.Append(epoch.ToString(CultureInfo.InvariantCulture)).Append(',')
          .Append(batches.ToString(CultureInfo.InvariantCulture)).Append(',').Append(steps.ToString(CultureInfo.InvariantCulture));
        foreach (var k in _keys)
            sb.Append(',').Append(logs.TryGetValue(k, out double v) ? v.ToString("R", CultureInfo.InvariantCulture) : "NA");
        _writer.WriteLine(sb.ToString());
        _writer.Flush();
    }

    /// <inheritdoc />
    public void Dispose() => _writer.Dispose();
}

/// <summary>
/// <c>Model.Fit</c>'s side of <see cref="MetricsLog"/>: counts the batches of each epoch and writes its row at the
/// epoch's end; remembers an epoch that ended early (<see cref="PartialEpoch"/>) for result.json and the report.
/// </summary>
internal sealed class MetricsLogger(string path) : Callback
{
    private MetricsLog? _log;
    private int _steps, _batches;

    /// <summary>The last epoch if it trained fewer batches than an epoch has (1-based epoch), else null.</summary>
    public PartialEpoch? PartialEpoch { get; private set; }

    /// <inheritdoc />
    public override bool RootRankOnly => true;

    /// <inheritdoc />
    public override void OnTrainBegin(IReadOnlyDictionary<string, double> logs)
    {
        _steps = (int)Params["steps"];
        _log = new MetricsLog(path);
        PartialEpoch = null;
    }

    /// <inheritdoc />
    public override void OnEpochBegin(int epoch, IReadOnlyDictionary<string, double> logs) => _batches = 0;

    /// <inheritdoc />
    public override void OnTrainBatchEnd(int batch, IReadOnlyDictionary<string, double> logs) => _batches = batch + 1;

    /// <inheritdoc />
    public override void OnEpochEnd(int epoch, IReadOnlyDictionary<string, double> logs)
    {
        _log?.Write(epoch + 1, _batches, _steps, logs);
        PartialEpoch = _batches < _steps ? new PartialEpoch(epoch + 1, _batches, _steps) : null;
    }

    /// <inheritdoc />
    public override void OnTrainEnd(IReadOnlyDictionary<string, double> logs)
    {
        _log?.Dispose();
        _log = null;
    }
}

/// <summary>An epoch that ended before its last batch: its 1-based number and the batches it trained out of <paramref name="Steps"/>.</summary>
public sealed record PartialEpoch(int Epoch, int Batches, int Steps)
{
    /// <summary>As result.json records it.</summary>
    public System.Text.Json.Nodes.JsonObject ToJson() => new() { ["epoch"] = Epoch, ["batches"] = Batches, ["steps"] = Steps };

    /// <summary>For people: <c>epoch 2 partial (500/1688 batches)</c>.</summary>
    public override string ToString() => $"epoch {Epoch} partial ({Batches}/{Steps} batches)";
}
