using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Praxis.Models;

namespace Praxis.Cli.Journal;

/// <summary>
/// One entry of the practice journal: the folder <c>runs/&lt;time&gt;-&lt;recipe&gt;/</c> that <c>praxis train</c>
/// writes. It holds <c>config.json</c> (everything that defines the run), <c>environment.json</c> (where it ran),
/// <c>summary.txt</c>, <c>metrics.csv</c> (one row per epoch, written as training goes), <c>result.json</c> (status,
/// timings, best and final metrics, test metrics), the pictures and the trained model (<c>model.praxis</c>).
/// </summary>
public sealed class RunFolder
{
    /// <summary>File names inside a run folder.</summary>
    public const string ConfigFile = "config.json", EnvironmentFile = "environment.json", ResultFile = "result.json",
        MetricsFile = "metrics.csv", SummaryFile = "summary.txt", CurvesFile = "curves.png", ConfusionFile = "confusion.png",
        MisclassifiedFile = "misclassified.png", ModelFile = "model.praxis";

    /// <summary>The raw weights file that runs written before model files kept (no longer read: named in the error for such runs).</summary>
    public const string LegacyWeightsFile = "weights.bin";

    /// <summary>Indented JSON that keeps characters such as → and ' readable.</summary>
    internal static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>One-line JSON for --json output.</summary>
    internal static readonly JsonSerializerOptions Compact = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private RunFolder(string path)
    {
        Path = System.IO.Path.GetFullPath(path);
        Id = System.IO.Path.GetFileName(Path.TrimEnd(System.IO.Path.DirectorySeparatorChar));
    }

    /// <summary>The folder's full path.</summary>
    public string Path { get; }

    /// <summary>The folder name, e.g. <c>20261129-101500-seed-mlp</c>.</summary>
    public string Id { get; }

    /// <summary>A file inside the folder.</summary>
    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>Creates a new, empty run folder under <paramref name="root"/> named after the time and recipe.</summary>
    public static RunFolder Create(string root, string recipe, DateTime localTime)
    {
        Directory.CreateDirectory(root);
        string stem = localTime.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture) + "-" + recipe;
        for (int i = 1; ; i++)
        {
            string candidate = System.IO.Path.Combine(root, i == 1 ? stem : $"{stem}-{i}");
            // CreateDirectory succeeds on an existing folder, so claim the name by creating config.json exclusively.
            Directory.CreateDirectory(candidate);
            try
            {
                using (new FileStream(System.IO.Path.Combine(candidate, ConfigFile), FileMode.CreateNew)) { }
                return new RunFolder(candidate);
            }
            catch (IOException) when (System.IO.File.Exists(System.IO.Path.Combine(candidate, ConfigFile)))
            {
                // taken by an earlier run in the same second
            }
        }
    }

    /// <summary>Opens an existing run folder (it must hold <c>config.json</c>).</summary>
    public static RunFolder Open(string path)
    {
        if (!System.IO.File.Exists(System.IO.Path.Combine(path, ConfigFile)))
            throw new CliException($"'{path}' is not a run folder (no {ConfigFile}).");
        return new RunFolder(path);
    }

    /// <summary>Writes a JSON file atomically (flushed temp file, rename, folder fsync), so readers never see half a file.</summary>
    public void WriteJson(string name, JsonNode node) =>
        Praxis.IO.AtomicFile.WriteAllBytes(File(name), new UTF8Encoding(false).GetBytes(node.ToJsonString(Indented) + "\n"));

    /// <summary>Reads a JSON object from the folder, or null if the file is missing or empty.</summary>
    public JsonObject? ReadJson(string name)
    {
        string path = File(name);
        if (!System.IO.File.Exists(path) || new FileInfo(path).Length == 0) return null;
        try
        {
            // Duplicate keys at any depth are refused while parsing, where the file is named (a JsonObject would
            // otherwise throw ArgumentException the first time a nested object is read).
            var node = JsonNode.Parse(System.IO.File.ReadAllText(path), documentOptions: new JsonDocumentOptions { AllowDuplicateProperties = false, MaxDepth = 64 });
            if (node is not JsonObject obj) throw new CliException($"{path}: expected a JSON object; found {(node == null ? "null" : node.GetValueKind().ToString())}.");
            ReadStrings(obj);
            return obj;
        }
        catch (JsonException e)
        {
            throw new CliException($"{path}: not valid JSON ({e.Message}).");
        }
        catch (ArgumentException e)
        {
            throw new CliException($"{path}: not a valid journal object ({e.Message}).");
        }
        catch (InvalidOperationException e)
        {
            // System.Text.Json decodes strings lazily: an escaped lone surrogate (\uD800) throws when read.
            throw new CliException($"{path}: a string in it is not valid text ({e.Message}).");
        }
    }

    /// <summary>Decodes every key and string now, inside <see cref="ReadJson"/>'s handlers, rather than wherever a getter first reads one.</summary>
    private static void ReadStrings(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o: foreach (var (_, v) in o) ReadStrings(v); break;
            case JsonArray a: foreach (var v in a) ReadStrings(v); break;
            case JsonValue v when v.GetValueKind() == JsonValueKind.String: _ = v.GetValue<string>(); break;
        }
    }

    // Journal files are edited by hand and copied between machines: a value of the wrong type names the file and key
    // instead of surfacing as an InvalidOperationException from System.Text.Json.
    private string? ReadString(JsonObject o, string file, string key) => o[key] switch
    {
        null => null,
        JsonValue v when v.TryGetValue(out string? s) => s,
        var n => throw WrongType(file, key, "a string", n),
    };

    private double? ReadNumber(JsonNode? n, string file, string key) => n switch
    {
        null => null,
        JsonValue v when v.TryGetValue(out double d) => d,
        _ => throw WrongType(file, key, "a number", n),
    };

    private CliException WrongType(string file, string key, string expected, JsonNode n)
    {
        string text = n.ToJsonString();
        return new CliException($"{File(file)}: '{key}' should be {expected}; found {(text.Length <= 40 ? text : text[..40] + "…")}.");
    }

    /// <summary>The run's configuration (recipe, hyper-parameters, seed, …).</summary>
    public JsonObject Config => _config ??= ReadJson(ConfigFile) ?? new JsonObject();

    /// <summary>Where the run happened (CPU, threads, versions).</summary>
    public JsonObject Environment => _environment ??= ReadJson(EnvironmentFile) ?? new JsonObject();

    /// <summary>Status, timings and metrics; empty while a run has not written it yet.</summary>
    public JsonObject Result => _result ??= ReadJson(ResultFile) ?? new JsonObject();

    private JsonObject? _config, _environment, _result;

    /// <summary>The recipe that made the run.</summary>
    public string Recipe => ReadString(Config, ConfigFile, "recipe") ?? "?";

    /// <summary>When the run started (from result.json, else the folder name), local time.</summary>
    public DateTime Started
    {
        get
        {
            if (ReadString(Result, ResultFile, "started_at") is { } s && DateTime.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var t))
                return t.ToLocalTime();
            return DateTime.TryParseExact(Id.Length >= 15 ? Id[..15] : Id, "yyyyMMdd-HHmmss", CultureInfo.InvariantCulture, DateTimeStyles.None, out var u)
                ? u : Directory.GetCreationTime(Path);
        }
    }

    /// <summary>Seconds spent in <c>Fit</c>.</summary>
    public double TrainSeconds => ReadNumber(Result["train_seconds"], ResultFile, "train_seconds") ?? 0;

    /// <summary><c>completed</c>, <c>stopped early</c>, <c>interrupted</c>, <c>diverged</c>, <c>failed</c> or <c>running</c>.</summary>
    public string Status => ReadString(Result, ResultFile, "status") ?? "running";

    /// <summary>The last epoch, if it ended before its last batch (result.json's <c>partial_epoch</c>).</summary>
    public PartialEpoch? PartialEpoch => Result["partial_epoch"] switch
    {
        null => null,
        JsonObject p => new PartialEpoch(Whole(p, "epoch"), Whole(p, "batches"), Whole(p, "steps")),
        var n => throw WrongType(ResultFile, "partial_epoch", "an object", n),
    };

    private int Whole(JsonObject o, string key) =>
        ReadNumber(o[key], ResultFile, "partial_epoch." + key) is double d && d >= 0 && d <= int.MaxValue && d == Math.Floor(d) ? (int)d
            : throw new CliException($"{File(ResultFile)}: 'partial_epoch.{key}' should be a whole number.");

    /// <summary>A test metric (e.g. <c>accuracy</c>), if the run got that far.</summary>
    public double? Test(string metric) => Result["test"] switch
    {
        null => null,
        JsonObject t => ReadNumber(t[metric], ResultFile, "test." + metric),
        var n => throw WrongType(ResultFile, "test", "an object", n),
    };

    /// <summary>The per-epoch metrics from <c>metrics.csv</c>.</summary>
    public MetricsTable ReadMetrics() => MetricsTable.Read(File(MetricsFile));

    // ------------------------------------------------------------------ the trained model

    /// <summary>Whether the run kept a trained model (<c>model.praxis</c>).</summary>
    public bool HasModel => System.IO.File.Exists(File(ModelFile));

    /// <summary>
    /// Saves the trained model as <c>model.praxis</c> with <see cref="Model.Save"/> (architecture, weights, compile
    /// settings and optimizer state in one checksummed file, written atomically), so <c>evaluate</c>, <c>predict</c>
    /// and <c>export</c> load it with <see cref="Model.Load"/> whatever recipe made it.
    /// </summary>
    public void SaveModel(Model model) => model.Save(File(ModelFile));

    /// <summary>
    /// Loads the run's trained model (compiled as it was trained). A damaged <c>model.praxis</c> raises
    /// <see cref="InvalidDataException"/> naming the file; a run from before model files (only <c>weights.bin</c>,
    /// which this version no longer reads) gets an error naming that file and saying to train again.
    /// </summary>
    public Model LoadModel()
    {
        string path = File(ModelFile);
        if (System.IO.File.Exists(path)) return Model.Load(path);
        if (System.IO.File.Exists(File(LegacyWeightsFile)))
            throw new CliException($"run {Id} has only {File(LegacyWeightsFile)}, the weights format of older praxis versions, which "
                + $"this version no longer reads; train it again (praxis train {Recipe}) to get a {ModelFile}.");
        throw new CliException($"run {Id} has no trained model ({ModelFile}); it did not finish training.");
    }
}

/// <summary>Per-epoch metrics as read from a run's metrics.csv: column name → values, in epoch order.</summary>
public sealed class MetricsTable
{
    /// <summary>The epoch of each row, numbered from 1.</summary>
    public List<int> Epochs { get; } = new();

    /// <summary>Batches trained in each row's epoch, and the epoch's total (both 0 where an older file does not say).</summary>
    public List<(int Batches, int Steps)> Progress { get; } = new();

    /// <summary>Column name (without <c>epoch</c>, <c>batches</c>, <c>steps</c>) → values (NaN where the file says NA).</summary>
    public Dictionary<string, List<double>> Columns { get; } = new();

    /// <summary>Number of rows.</summary>
    public int Count => Epochs.Count;

    /// <summary>Whether row <paramref name="row"/>'s epoch ended before its last batch (Ctrl+C, a diverging loss).</summary>
    public bool IsPartial(int row) => Progress[row].Batches < Progress[row].Steps;

    /// <summary>The last row's epoch if it is partial, else null.</summary>
    public PartialEpoch? PartialEpoch => Count > 0 && IsPartial(Count - 1) ? new PartialEpoch(Epochs[^1], Progress[^1].Batches, Progress[^1].Steps) : null;

    /// <summary>
    /// Reads a metrics.csv written by <see cref="MetricsLog"/>, or an older run's (Keras' CSVLogger layout: 0-based
    /// epochs, no batch counts; its epochs are renumbered from 1); a missing file gives an empty table.
    /// </summary>
    public static MetricsTable Read(string path)
    {
        var table = new MetricsTable();
        if (!System.IO.File.Exists(path)) return table;
        var lines = System.IO.File.ReadAllLines(path);
        if (lines.Length == 0) return table;
        var header = lines[0].Split(',');
        if (header[0] != MetricsLog.EpochColumn) throw new CliException($"{path}: expected a CSV whose first column is 'epoch'; found '{header[0]}'.");
        bool counted = header.Length >= 3 && header[1] == MetricsLog.BatchesColumn && header[2] == MetricsLog.StepsColumn;
        int first = counted ? 3 : 1;
        for (int c = first; c < header.Length; c++)
            if (!table.Columns.TryAdd(header[c], new List<double>())) throw new CliException($"{path}: the header names the column '{Clip(header[c])}' twice.");
        for (int i = 1; i < lines.Length; i++)
        {
            if (lines[i].Length == 0) continue;
            var f = lines[i].Split(',');
            if (f.Length != header.Length) throw new CliException($"{path}: line {i + 1} has {f.Length} fields; the header has {header.Length}.");
            int epoch = Whole(path, i, "epoch", f[0]);
            if (counted)
            {
                int batches = Whole(path, i, "batches", f[1]), steps = Whole(path, i, "steps", f[2]);
                if (batches > steps) throw new CliException($"{path}: line {i + 1}: {batches} batches of an epoch of {steps}.");
                table.Progress.Add((batches, steps));
            }
            else table.Progress.Add((0, 0));
            table.Epochs.Add(counted ? epoch : epoch + 1);
            for (int c = first; c < header.Length; c++)
                table.Columns[header[c]].Add(double.TryParse(f[c], NumberStyles.Float, CultureInfo.InvariantCulture, out double v) ? v : double.NaN);
        }
        return table;
    }

    private static int Whole(string path, int line, string column, string field) =>
        int.TryParse(field, NumberStyles.None, CultureInfo.InvariantCulture, out int n) ? n
            : throw new CliException($"{path}: line {line + 1}: {column} '{Clip(field)}' is not a whole number.");

    private static string Clip(string s) => s.Length <= 20 ? s : s[..20] + "…";
}
