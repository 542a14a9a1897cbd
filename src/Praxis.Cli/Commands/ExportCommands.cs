using System.Globalization;
using System.Text.Json;
using Praxis.Cli.Journal;
using Praxis.IO.Onnx;
using Praxis.Layers;
using Praxis.Models;

namespace Praxis.Cli.Commands;

/// <summary><c>praxis export</c>: writes a trained run (or a saved model file) as ONNX or as a Praxis model file.</summary>
public static class ExportCommands
{
    /// <summary>The formats <c>--format</c> accepts.</summary>
    public static readonly string[] Formats = ["onnx", "praxis"];

    /// <summary>
    /// Exports <paramref name="source"/>, a run reference (default: the newest trained run) or the path of a file saved
    /// by <c>Model.Save</c>, to <paramref name="output"/> (default: <c>model.onnx</c> / <c>model.praxis</c> in the
    /// run's folder, or the source file with the new extension). A text model (a <c>text-cnn</c> run) also gets
    /// <c>model.vocab.json</c> beside the ONNX file, since its graph takes token ids, and the output says so.
    /// </summary>
    public static int Export(CliContext ctx, string root, string? source, string? output, string format, int opset)
    {
        format = format.ToLowerInvariant();
        if (Array.IndexOf(Formats, format) < 0) throw new CliException($"--format must be one of {string.Join(", ", Formats)}; got '{format}'.");
        Model model;
        string what, defaultOutput;
        if (source != null && File.Exists(source))
        {
            model = Model.Load(source, compile: format == "praxis");
            what = source;
            defaultOutput = Path.ChangeExtension(source, "." + format);
            if (Path.GetFullPath(defaultOutput) == Path.GetFullPath(source)) defaultOutput = Path.ChangeExtension(source, ".exported." + format);
        }
        else
        {
            var run = source == null ? RunStore.LatestWithModel(root) : RunStore.Resolve(root, source);
            string kept = run.File(RunFolder.ModelFile);
            if (format == "praxis" && File.Exists(kept) && Path.GetFullPath(output ?? kept) == kept)
            {
                // A run already keeps its model as a model file: re-saving it onto itself would change nothing.
                ctx.Out.WriteLine($"Run {run.Id} already keeps its model in {kept} ({new FileInfo(kept).Length:N0} bytes; load it with Model.Load).");
                return 0;
            }
            (_, model) = ModelCommands.LoadModel(run);
            what = $"run {run.Id}";
            defaultOutput = run.File("model." + format);
        }
        string path = output ?? defaultOutput;
        if (format == "onnx") model.ExportOnnx(path, opset);
        else model.Save(path);
        ctx.Out.WriteLine(format == "onnx"
            ? $"Exported {what} to {path} (ONNX opset {opset}, {new FileInfo(path).Length:N0} bytes)."
            : $"Saved {what} to {path} ({new FileInfo(path).Length:N0} bytes; load it with Model.Load).");
        if (format == "onnx" && model.StringInput is { } text) ctx.Out.WriteLine(TextInputNote(text, OnnxStringInput.PathFor(path)));
        return 0;
    }

    /// <summary>
    /// What a text model's ONNX file takes: the text layer does not run in ONNX (strings never enter a Praxis graph),
    /// so the user must be told that the input is its output and where its vocabulary and settings were written.
    /// </summary>
    private static string TextInputNote(StringLayer text, string sidecar)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(sidecar));
        var root = doc.RootElement;
        string input = root.GetProperty("onnx_input").GetString()!;
        var dims = root.GetProperty("onnx_input_shape").EnumerateArray().Select(d => d.ValueKind == JsonValueKind.String ? d.GetString()! : d.GetInt32() < 0 ? "?" : d.GetInt32().ToString(CultureInfo.InvariantCulture));
        string takes = text switch
        {
            TextVectorization { OutputMode: "int" } => "token ids (0 = padding, 1 = [UNK])",
            TextVectorization t => $"{t.OutputMode} vectors",
            StringLookup => "vocabulary ids",
            _ => "hash bins",
        };
        int ids = root.TryGetProperty("ids", out var list) ? list.GetArrayLength() : 0;
        return $"Its input '{input}' ({string.Join(", ", dims)}) takes {takes}, not text: {text.GetType().Name} '{text.Name}' is not part of the ONNX graph. " +
            $"{sidecar} holds its settings ({Settings(text)}){(ids > 0 ? $" and vocabulary ({ids:N0} ids)" : "")}: " +
            "tokenize with them before calling ONNX Runtime (README, \"Text models in ONNX\").";
    }

    private static string Settings(StringLayer text) => text switch
    {
        TextVectorization t => string.Create(CultureInfo.InvariantCulture,
            $"standardize {t.Standardize ?? "none"}, split {t.Split ?? "none"}, ngrams {(t.NgramSizes.Length == 0 ? "none" : string.Join('/', t.NgramSizes))}, max_tokens {t.MaxTokens?.ToString(CultureInfo.InvariantCulture) ?? "none"}, output_mode {t.OutputMode}, output_sequence_length {t.OutputSequenceLength?.ToString(CultureInfo.InvariantCulture) ?? "none"}"),
        StringLookup s => $"mask_token, oov_token, num_oov_indices, output_mode {s.OutputMode}",
        Hashing h => string.Create(CultureInfo.InvariantCulture, $"num_bins {h.NumBins}, mask_value, salt"),
        _ => "its config",
    };
}
