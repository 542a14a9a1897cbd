using System.Globalization;
using System.Text;

namespace Praxis.Callbacks;

/// <summary>
/// Streams each epoch's logs to a CSV file, one row per epoch (Keras <c>keras.callbacks.CSVLogger</c>).
/// </summary>
/// <remarks>
/// As Keras: the first column is <c>epoch</c> (0-based), then the log keys of the first epoch sorted by name; a key
/// missing in a later epoch is written as <c>NA</c>; values are written in full (round-trip) precision. With
/// <see cref="Append"/>, rows are added to an existing file and the header is written only if the file is empty.
/// Each row is flushed as it is written, so the file is complete up to the last finished epoch even if training dies.
/// Keras 3 also adds empty <c>val_</c> columns when the first epoch has none (for <c>validation_freq</c> &gt; 1);
/// Praxis validates every epoch, so it does not.
/// </remarks>
public sealed class CSVLogger : Callback
{
    private StreamWriter? _writer;
    private string[]? _keys;

    /// <summary>Creates a logger writing to <paramref name="filename"/>.</summary>
    /// <param name="filename">The CSV file (its folder must exist).</param>
    /// <param name="separator">Field separator (default <c>,</c>).</param>
    /// <param name="append">Append to an existing file instead of overwriting it.</param>
    public CSVLogger(string filename, string separator = ",", bool append = false)
    {
        if (string.IsNullOrEmpty(filename)) throw new ArgumentException("CSVLogger: filename must not be empty.", nameof(filename));
        if (string.IsNullOrEmpty(separator)) throw new ArgumentException("CSVLogger: separator must not be empty.", nameof(separator));
        Filename = filename;
        Separator = separator;
        Append = append;
    }

    /// <summary>The CSV file.</summary>
    public string Filename { get; }

    /// <summary>The field separator.</summary>
    public string Separator { get; }

    /// <summary>Whether rows are appended to an existing file.</summary>
    public bool Append { get; }

    /// <inheritdoc />
    public override void OnTrainBegin(IReadOnlyDictionary<string, double> logs)
    {
        _keys = null;
        bool writeHeader = !Append || !File.Exists(Filename) || new FileInfo(Filename).Length == 0;
        try
        {
            _writer = new StreamWriter(Filename, Append, new UTF8Encoding(false)) { NewLine = "\n" };
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"CSVLogger: cannot open '{Filename}' for writing: {e.Message}", e);
        }
        _headerPending = writeHeader;
    }

    private bool _headerPending;

    /// <inheritdoc />
    public override void OnEpochEnd(int epoch, IReadOnlyDictionary<string, double> logs)
    {
        if (_writer == null) return;
        if (_keys == null)
        {
            _keys = logs.Keys.ToArray();
            Array.Sort(_keys, StringComparer.Ordinal);
        }
        var sb = new StringBuilder();
        if (_headerPending)
        {
            sb.Append("epoch");
            foreach (var k in _keys) sb.Append(Separator).Append(Quote(k));
            _writer.WriteLine(sb.ToString());
            sb.Clear();
            _headerPending = false;
        }
        sb.Append(epoch.ToString(CultureInfo.InvariantCulture));
        foreach (var k in _keys)
            sb.Append(Separator).Append(logs.TryGetValue(k, out double v) ? v.ToString("R", CultureInfo.InvariantCulture) : "NA");
        _writer.WriteLine(sb.ToString());
        _writer.Flush();
    }

    /// <inheritdoc />
    public override void OnTrainEnd(IReadOnlyDictionary<string, double> logs)
    {
        _writer?.Dispose();
        _writer = null;
    }

    private string Quote(string field) =>
        field.Contains(Separator, StringComparison.Ordinal) || field.Contains('"') || field.Contains('\n')
            ? "\"" + field.Replace("\"", "\"\"", StringComparison.Ordinal) + "\""
            : field;
}
