using System.Globalization;
using System.Text.Json.Nodes;
using Praxis.Cli.Journal;
using Praxis.Cli.Training;
using Spectre.Console;

namespace Praxis.Cli.Commands;

/// <summary><c>praxis runs</c>: the journal's table of runs, one run in full, and two runs side by side.</summary>
public static class RunsCommands
{
    /// <summary>Lists every run with its best metrics, wall time, and the cumulative training time.</summary>
    public static int List(CliContext ctx, string root, bool json)
    {
        var runs = RunStore.List(root);
        if (json)
        {
            var arr = new JsonArray();
            foreach (var r in runs)
                arr.Add(new JsonObject
                {
                    ["id"] = r.Id, ["path"] = r.Path, ["recipe"] = r.Recipe, ["status"] = r.Status, ["config"] = r.Config.DeepClone(),
                    ["result"] = r.Result.DeepClone(),
                });
            ctx.Out.WriteLine(new JsonObject { ["runs"] = arr, ["training_hours"] = runs.Sum(r => r.TrainSeconds) / 3600 }.ToJsonString(RunFolder.Compact));
            return 0;
        }
        if (runs.Count == 0)
        {
            ctx.Out.WriteLine($"No runs in {Rel(root)} yet. Start one with: praxis train seed-mlp");
            return 0;
        }
        // Compact headers so the table fits a 100-column terminal; the run's name already ends with its recipe.
        var table = NewTable(ctx, "#", "Run", "Status", "Epochs", "val_loss", "val_acc", "Test acc", "Time");
        table.Caption = new TableTitle("val_loss, val_acc: best epoch (lowest val_loss) · Time: training wall time"
            + (runs.Any(r => r.PartialEpoch != null) ? " · *: the last epoch ended early (partial)" : ""));
        for (int i = 0; i < runs.Count; i++)
        {
            var r = runs[i];
            var best = r.Result["best"] as JsonObject;
            table.AddRow(
                Cell((i + 1).ToString(CultureInfo.InvariantCulture)), Cell(r.Id), StatusCell(ctx, r.Status),
                Cell($"{r.Result["epochs_run"]?.ToString() ?? "-"}{(r.PartialEpoch != null ? "*" : "")}/{r.Config["epochs"]?.ToString() ?? "?"}"),
                Cell(Num(best?["val_loss"], "F4")), Cell(Pct(best?["val_accuracy"])), Cell(Pct(r.Result["test"]?["accuracy"])),
                Cell(r.Result["train_seconds"] is { } t ? LogFormat.Duration(t.GetValue<double>()) : "-"));
        }
        ctx.Console.Write(table);
        double hours = runs.Sum(r => r.TrainSeconds) / 3600;
        var bestRun = runs.Where(r => r.Test("accuracy") != null).MaxBy(r => r.Test("accuracy"));
        ctx.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{runs.Count} run{(runs.Count == 1 ? "" : "s")} in {Rel(root)}; cumulative training time {hours:F3} h ({LogFormat.Duration(hours * 3600)})."));
        if (bestRun != null)
            ctx.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Best test accuracy: {LogFormat.Percent(bestRun.Test("accuracy")!.Value)} ({bestRun.Id})."));
        return 0;
    }

    /// <summary>Prints one run's config, environment and result.</summary>
    public static int Show(CliContext ctx, string root, string reference)
    {
        var r = RunStore.Resolve(root, reference);
        ctx.Out.WriteLine($"Run {r.Id}  ({Rel(r.Path)})");
        foreach (var (title, obj) in new[] { ("Config", r.Config), ("Result", r.Result), ("Environment", r.Environment) })
        {
            var table = NewTable(ctx, title, "");
            foreach (var (k, v) in Flatten(obj)) table.AddRow(Cell(k), Cell(v));
            ctx.Console.Write(table);
        }
        var files = Directory.GetFiles(r.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal);
        ctx.Out.WriteLine("Files: " + string.Join(", ", files));
        return 0;
    }

    /// <summary>Two runs side by side: config and environment differences, results with deltas, and per-epoch metrics.</summary>
    public static int Compare(CliContext ctx, string root, string refA, string refB, bool all)
    {
        var a = RunStore.Resolve(root, refA);
        var b = RunStore.Resolve(root, refB);
        ctx.Out.WriteLine($"A = {a.Id}");
        ctx.Out.WriteLine($"B = {b.Id}");

        var config = NewTable(ctx, "Config", "A", "B", "");
        int differences = 0;
        var fa = Flatten(a.Config).ToDictionary(p => p.Key, p => p.Value);
        var fb = Flatten(b.Config).ToDictionary(p => p.Key, p => p.Value);
        foreach (var key in fa.Keys.Union(fb.Keys).Where(k => k != "command"))
        {
            string va = fa.GetValueOrDefault(key, "-"), vb = fb.GetValueOrDefault(key, "-");
            bool differs = va != vb;
            if (differs) differences++;
            if (differs || all) config.AddRow(Cell(key), Cell(va, differs ? "yellow" : null), Cell(vb, differs ? "yellow" : null), Cell(differs ? "differs" : ""));
        }
        if (differences == 0 && !all) config.AddRow(Cell("(same config)"), Cell(""), Cell(""), Cell(""));
        ctx.Console.Write(config);

        var results = NewTable(ctx, "Result", "A", "B", "B - A");
        AddResult(results, "status", a.Status, b.Status, null);
        bool ganA = GanTrainer.IsGanRun(a), ganB = GanTrainer.IsGanRun(b);
        if (!ganA || !ganB)
        {
            AddMetric(results, "test accuracy", a.Result["test"]?["accuracy"], b.Result["test"]?["accuracy"], percent: true);
            AddMetric(results, "test loss", a.Result["test"]?["loss"], b.Result["test"]?["loss"], percent: false);
            AddMetric(results, "best val_loss", a.Result["best"]?["val_loss"], b.Result["best"]?["val_loss"], percent: false);
            AddResult(results, "best epoch", a.Result["best"]?["epoch"]?.ToString() ?? "-", b.Result["best"]?["epoch"]?.ToString() ?? "-", null);
            AddMetric(results, "best val_accuracy", a.Result["best"]?["val_accuracy"], b.Result["best"]?["val_accuracy"], percent: true);
            AddMetric(results, "final loss", a.Result["final"]?["loss"], b.Result["final"]?["loss"], percent: false);
            AddMetric(results, "final accuracy", a.Result["final"]?["accuracy"], b.Result["final"]?["accuracy"], percent: true);
        }
        if (ganA || ganB)
        {
            // A GAN's figures: its losses and what the judge made of its final digits.
            AddMetric(results, "final d_loss", a.Result["final"]?["d_loss"], b.Result["final"]?["d_loss"], percent: false);
            AddMetric(results, "final g_loss", a.Result["final"]?["g_loss"], b.Result["final"]?["g_loss"], percent: false);
            AddMetric(results, "judged >= 0.9", a.Result["final"]?["confident_0_9"], b.Result["final"]?["confident_0_9"], percent: true);
            AddMetric(results, "judged mean confidence", a.Result["final"]?["mean_confidence"], b.Result["final"]?["mean_confidence"], percent: false);
            AddResult(results, "judged classes", a.Result["final"]?["classes"]?.ToString() ?? "-", b.Result["final"]?["classes"]?.ToString() ?? "-", null);
            AddMetric(results, "judge test accuracy", a.Result["judge"]?["test_accuracy"], b.Result["judge"]?["test_accuracy"], percent: true);
        }
        AddResult(results, "epochs run", EpochsRun(a), EpochsRun(b), null);
        double ta = a.TrainSeconds, tb = b.TrainSeconds;
        AddResult(results, "train time", LogFormat.Duration(ta), LogFormat.Duration(tb),
            ta > 0 && tb > 0 ? string.Create(CultureInfo.InvariantCulture, $"x{tb / ta:F2}") : "");
        ctx.Console.Write(results);

        var env = NewTable(ctx, "Environment", "A", "B");
        var ea = Flatten(a.Environment).ToDictionary(p => p.Key, p => p.Value);
        var eb = Flatten(b.Environment).ToDictionary(p => p.Key, p => p.Value);
        int envDiff = 0;
        foreach (var key in ea.Keys.Union(eb.Keys))
        {
            string va = ea.GetValueOrDefault(key, "-"), vb = eb.GetValueOrDefault(key, "-");
            if (va == vb && !all) continue;
            envDiff++;
            env.AddRow(Cell(key), Cell(va, va != vb ? "yellow" : null), Cell(vb, va != vb ? "yellow" : null));
        }
        if (envDiff > 0) ctx.Console.Write(env);
        else ctx.Out.WriteLine("Environment: same machine and versions.");

        var ma = a.ReadMetrics();
        var mb = b.ReadMetrics();
        var keys = ma.Columns.Keys.Union(mb.Columns.Keys).Where(k => k != "learning_rate").ToList();
        if (keys.Count > 0)
        {
            var headers = new List<string> { "Epoch" };
            foreach (var k in keys) { headers.Add($"A {k}"); headers.Add($"B {k}"); }
            var epochs = NewTable(ctx, headers.ToArray());
            for (int e = 0; e < Math.Max(ma.Count, mb.Count); e++)
            {
                bool partial = (e < ma.Count && ma.IsPartial(e)) || (e < mb.Count && mb.IsPartial(e));
                var row = new List<Spectre.Console.Rendering.IRenderable> { Cell((e + 1).ToString(CultureInfo.InvariantCulture) + (partial ? " (partial)" : "")) };
                foreach (var k in keys)
                {
                    row.Add(Cell(e < ma.Count && ma.Columns.TryGetValue(k, out var va) ? va[e].ToString("F4", CultureInfo.InvariantCulture) : "-"));
                    row.Add(Cell(e < mb.Count && mb.Columns.TryGetValue(k, out var vb) ? vb[e].ToString("F4", CultureInfo.InvariantCulture) : "-"));
                }
                epochs.AddRow(row);
            }
            ctx.Console.Write(epochs);
        }
        return 0;
    }

    private static string EpochsRun(RunFolder r) =>
        r.Result["epochs_run"]?.ToString() is not { } n ? "-" : r.PartialEpoch is { } p ? $"{n} ({p})" : n;

    private static void AddResult(Table t, string name, string a, string b, string? delta) =>
        t.AddRow(Cell(name), Cell(a), Cell(b), Cell(delta ?? (a == b ? "" : "differs")));

    private static void AddMetric(Table t, string name, JsonNode? a, JsonNode? b, bool percent)
    {
        double? va = a?.GetValue<double>(), vb = b?.GetValue<double>();
        string fa = percent ? Pct(a) : Num(a, "F4"), fb = percent ? Pct(b) : Num(b, "F4");
        string delta = va is double x && vb is double y
            ? percent ? string.Create(CultureInfo.InvariantCulture, $"{100 * (y - x):+0.00;-0.00;0.00} pp") : string.Create(CultureInfo.InvariantCulture, $"{y - x:+0.0000;-0.0000;0.0000}")
            : "";
        t.AddRow(Cell(name), Cell(fa), Cell(fb), Cell(delta));
    }

    /// <summary>Nested JSON as dotted keys and display strings.</summary>
    internal static IEnumerable<KeyValuePair<string, string>> Flatten(JsonObject obj, string prefix = "")
    {
        foreach (var (k, v) in obj)
        {
            string key = prefix + k;
            if (v is JsonObject o)
                foreach (var p in Flatten(o, key + ".")) yield return p;
            else yield return new(key, v switch
            {
                null => "-",
                JsonArray arr => arr.Count > 8 ? $"[{arr.Count} values]" : string.Join(", ", arr.Select(x => Display(x))),
                _ => Display(v),
            });
        }
    }

    private static string Display(JsonNode? v)
    {
        if (v is JsonValue jv && jv.TryGetValue(out double d) && v.ToJsonString().Contains('.'))
            return d.ToString("G6", CultureInfo.InvariantCulture);
        if (v is JsonValue s && s.TryGetValue(out string? str)) return str;
        return v?.ToJsonString() ?? "-";
    }

    private static string Num(JsonNode? v, string format) => v is null ? "-" : v.GetValue<double>().ToString(format, CultureInfo.InvariantCulture);

    private static string Pct(JsonNode? v) => v is null ? "-" : LogFormat.Percent(v.GetValue<double>());

    private static Table NewTable(CliContext ctx, params string[] headers)
    {
        var t = new Table { Border = ctx.IsTerminal ? TableBorder.Rounded : TableBorder.Ascii2 };
        foreach (var h in headers) t.AddColumn(new TableColumn(Markup.Escape(h)));
        return t;
    }

    private static Text Cell(string text, string? colour = null) =>
        colour == null ? new Text(text) : new Text(text, new Style(colour == "yellow" ? Color.Yellow : Color.Default, decoration: Decoration.Bold));

    private static Text StatusCell(CliContext ctx, string status) => new(status, new Style(status switch
    {
        "completed" => Color.Green,
        "stopped early" => Color.Aqua,
        "running" => Color.Yellow,
        _ => Color.Red,
    }));

    internal static string Rel(string path)
    {
        string rel = Path.GetRelativePath(Environment.CurrentDirectory, path);
        return rel.StartsWith("..", StringComparison.Ordinal) ? path : rel;
    }
}
