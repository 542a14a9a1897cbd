using Praxis.Cli.Journal;
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
    /// run's folder, or the source file with the new extension).
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
        return 0;
    }
}
