using System.Globalization;
using Praxis.Cli.Journal;
using ScottPlot;
using SkiaSharp;

namespace Praxis.Cli.Plotting;

/// <summary>
/// The pictures of the practice journal, written as PNG: training curves (ScottPlot, one panel per metric, train vs
/// validation), curves of several runs overlaid, a confusion matrix and a grid of misclassified images (drawn with
/// SkiaSharp). All text uses the embedded DejaVu Sans (<see cref="PlotFonts"/>), so pictures look the same everywhere.
/// </summary>
public static class Charts
{
    private const int PanelWidth = 640, PanelHeight = 500, HeaderHeight = 56;
    private static readonly ScottPlot.Color TrainColor = ScottPlot.Color.FromHex("#1f77b4");
    private static readonly ScottPlot.Color ValColor = ScottPlot.Color.FromHex("#d62728");
    private static readonly ScottPlot.Color[] RunColors = new[]
        { "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22" }
        .Select(ScottPlot.Color.FromHex).ToArray();

    private static readonly LinePattern[] RunPatterns = [LinePattern.Solid, LinePattern.Dashed, LinePattern.Dotted, LinePattern.DenselyDashed];

    /// <summary>The metric panels a table gives: each base metric (loss first), then the learning rate if it changed.</summary>
    public static List<string> PanelMetrics(MetricsTable table)
    {
        // "seconds" (a GAN run's epoch times) is a column, not a learning curve.
        var names = table.Columns.Keys.Where(k => !k.StartsWith("val_", StringComparison.Ordinal) && k is not ("learning_rate" or "seconds")).ToList();
        // Metrics logged only for validation still get a panel.
        foreach (var k in table.Columns.Keys)
            if (k.StartsWith("val_", StringComparison.Ordinal) && !names.Contains(k[4..])) names.Add(k[4..]);
        names.Sort((a, b) => a == "loss" ? -1 : b == "loss" ? 1 : string.CompareOrdinal(a, b));
        if (table.Columns.TryGetValue("learning_rate", out var lr) && lr.Distinct().Count() > 1) names.Add("learning_rate");
        return names;
    }

    /// <summary>
    /// Training curves of one run: a panel per metric with the training and validation values per epoch, a dotted line
    /// at the best validation-loss epoch, and <paramref name="title"/> above.
    /// </summary>
    public static void SaveCurves(MetricsTable table, string title, string path)
    {
        if (table.Count == 0) throw new CliException($"no epochs to plot for '{title}' (metrics.csv is empty or missing).");
        PlotFonts.Install();
        var panels = PanelMetrics(table);
        double[] xs = table.Epochs.Select(e => (double)e).ToArray();
        int? bestEpoch = table.Columns.TryGetValue("val_loss", out var vl) && vl.Any(double.IsFinite)
            ? table.Epochs[IndexOfMin(vl)] : null;

        var plots = new List<Plot>();
        foreach (var metric in panels)
        {
            var plot = NewPanel(metric == "learning_rate" ? "Learning rate" : Pretty(metric), metric == "learning_rate" ? "learning rate" : metric);
            if (table.Columns.TryGetValue(metric, out var train))
                AddLine(plot, xs, train, metric == "learning_rate" ? "learning rate" : "training", TrainColor, LinePattern.Solid);
            if (table.Columns.TryGetValue("val_" + metric, out var val))
                AddLine(plot, xs, val, "validation", ValColor, LinePattern.Dashed);
            if (bestEpoch is int b && metric != "learning_rate")
            {
                var line = plot.Add.VerticalLine(b, 1.5f, ScottPlot.Color.FromHex("#555555"), LinePattern.Dotted);
                line.LegendText = $"best val_loss (epoch {b})";
            }
            FinishPanel(plot, xs.Length);
            plots.Add(plot);
        }
        SaveGrid(plots, WithPartial(title, table), path);
    }

    /// <summary>The title with a note when the last epoch ended early, so its point is not read as a full epoch's.</summary>
    private static string WithPartial(string title, MetricsTable table) =>
        table.PartialEpoch is { } p ? $"{title} · last point: {p}" : title;

    /// <summary>
    /// Curves of a GAN run (<see cref="Training.GanTrainer"/>): the two losses, the discriminator's mean P(real) on real
    /// and on generated images, and the judge's figures per epoch (mean top-class confidence and the fraction of
    /// generated digits recognised with confidence ≥ 0.9).
    /// </summary>
    public static void SaveGanCurves(MetricsTable table, string title, string path)
    {
        if (table.Count == 0) throw new CliException($"no epochs to plot for '{title}' (metrics.csv is empty or missing).");
        PlotFonts.Install();
        double[] xs = table.Epochs.Select(e => (double)e).ToArray();
        (string Title, string YLabel, (string Column, string Label)[] Lines)[] panels =
        [
            ("Losses", "binary cross-entropy", [("d_loss", "discriminator"), ("g_loss", "generator")]),
            ("Discriminator", "mean P(real)", [("d_real", "on real images"), ("d_fake", "on generated images")]),
            ("Judge (generated digits)", "fraction", [("mean_confidence", "mean top-class confidence"), ("confident_0_9", "share at confidence >= 0.9")]),
        ];
        var plots = new List<Plot>();
        foreach (var (panelTitle, yLabel, lines) in panels)
        {
            var plot = NewPanel(panelTitle, yLabel);
            for (int i = 0; i < lines.Length; i++)
                if (table.Columns.TryGetValue(lines[i].Column, out var ys))
                    AddLine(plot, xs, ys, lines[i].Label, i == 0 ? TrainColor : ValColor, i == 0 ? LinePattern.Solid : LinePattern.Dashed);
            FinishPanel(plot, xs.Length);
            plots.Add(plot);
        }
        SaveGrid(plots, WithPartial(title, table), path);
    }

    /// <summary>
    /// Several runs overlaid: a panel per metric, one line per run (the validation values when the run has them, else
    /// training values; the legend says which, and the title says that training curves of validated runs are left out).
    /// A run whose last epoch ended early says so in its legend entry.
    /// </summary>
    public static void SaveComparison(IReadOnlyList<(string Label, MetricsTable Table)> runs, string title, string path)
    {
        PlotFonts.Install();
        var metrics = new List<string>();
        foreach (var (_, t) in runs)
            foreach (var m in PanelMetrics(t))
                if (m != "learning_rate" && !metrics.Contains(m)) metrics.Add(m);
        if (metrics.Count == 0) throw new CliException("none of the runs has any epochs to plot.");
        var plots = new List<Plot>();
        foreach (var metric in metrics)
        {
            var plot = NewPanel(Pretty(metric), metric);
            int maxEpochs = 1;
            for (int i = 0; i < runs.Count; i++)
            {
                var (label, t) = runs[i];
                bool hasVal = t.Columns.TryGetValue("val_" + metric, out var ys);
                if (!hasVal && !t.Columns.TryGetValue(metric, out ys)) continue;
                double[] xs = t.Epochs.Select(e => (double)e).ToArray();
                maxEpochs = Math.Max(maxEpochs, xs.Length);
                // Patterns as well as colours, so runs that coincide (same seed, same start) stay distinguishable.
                string partial = t.PartialEpoch is { } p ? $", last epoch {p.Batches}/{p.Steps} batches" : "";
                AddLine(plot, xs, ys!, $"{label} ({(hasVal ? "validation" : "training")}{partial})", RunColors[i % RunColors.Length], RunPatterns[i % RunPatterns.Length]);
            }
            FinishPanel(plot, maxEpochs);
            plots.Add(plot);
        }
        if (runs.Any(r => r.Table.Columns.Keys.Any(k => k.StartsWith("val_", StringComparison.Ordinal))))
            title += " · validation curves (training curves of a run: praxis plot RUN)";
        SaveGrid(plots, title, path);
    }

    private static Plot NewPanel(string title, string yLabel)
    {
        var plot = new Plot();
        plot.Title(title, 20);
        plot.XLabel("Epoch", 16);
        plot.YLabel(yLabel, 16);
        plot.Axes.Bottom.TickLabelStyle.FontSize = 14;
        plot.Axes.Left.TickLabelStyle.FontSize = 14;
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        return plot;
    }

    private static void AddLine(Plot plot, double[] xs, IReadOnlyList<double> ys, string label, ScottPlot.Color color, LinePattern pattern)
    {
        var s = plot.Add.Scatter(xs, ys.Take(xs.Length).ToArray(), color);
        s.LegendText = label;
        s.LineWidth = 2.5f;
        s.LinePattern = pattern;
        s.MarkerSize = xs.Length <= 40 ? 7 : 0;
    }

    private static void FinishPanel(Plot plot, int epochs)
    {
        plot.Axes.AutoScale();
        plot.Axes.SetLimitsX(0.5, Math.Max(epochs, 1) + 0.5);
        // Below the axes, so it never hides a curve.
        plot.ShowLegend(Edge.Bottom);
        plot.Legend.FontSize = 14;
    }

    private static void SaveGrid(List<Plot> plots, string title, string path)
    {
        int cols = Math.Min(plots.Count, 3), rows = (plots.Count + cols - 1) / cols;
        int width = cols * PanelWidth, height = HeaderHeight + rows * PanelHeight;
        using var surface = SKSurface.Create(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul));
        var canvas = surface.Canvas;
        canvas.Clear(SKColors.White);
        using (var font = new SKFont(PlotFonts.Bold, 22))
        using (var paint = new SKPaint { Color = SKColors.Black, IsAntialias = true })
            canvas.DrawText(Fit(title, font, width - 20), width / 2f, 36, SKTextAlign.Center, font, paint);
        for (int i = 0; i < plots.Count; i++)
        {
            // Each panel renders on its own surface: ScottPlot clears the whole canvas it is given.
            using var panel = SKSurface.Create(new SKImageInfo(PanelWidth, PanelHeight, SKColorType.Rgba8888, SKAlphaType.Premul));
            plots[i].Render(panel.Canvas, PanelWidth, PanelHeight);
            using var image = panel.Snapshot();
            canvas.DrawImage(image, i % cols * PanelWidth, HeaderHeight + i / cols * PanelHeight, new SKSamplingOptions(SKFilterMode.Nearest), null);
        }
        SavePng(surface, path);
    }

    // ------------------------------------------------------------------ confusion matrix

    /// <summary>
    /// A confusion matrix: rows are true classes, columns predicted classes; each cell shows its count and is shaded by
    /// the fraction of its row; the right column gives each class's recall.
    /// </summary>
    public static void SaveConfusionMatrix(int[,] counts, IReadOnlyList<string> classNames, string title, string path)
    {
        int k = counts.GetLength(0);
        if (k != counts.GetLength(1) || k != classNames.Count)
            throw new ArgumentException($"Confusion matrix must be {classNames.Count}x{classNames.Count}; got {counts.GetLength(0)}x{counts.GetLength(1)}.");
        const int cell = 56, recallWidth = 90, bottom = 40;
        using var tickFont = new SKFont(PlotFonts.Regular, 16);
        // Room for the longest class name: row names sit left of the grid, column names above it, turned upright
        // when one is wider than a cell (Fashion-MNIST's "T-shirt/top"), so no two names overlap.
        float longest = 0;
        foreach (var name in classNames) longest = Math.Max(longest, tickFont.MeasureText(name));
        bool upright = longest > cell - 6;
        int left = Math.Max(120, (int)Math.Ceiling(longest) + 64);
        int top = upright ? Math.Max(120, (int)Math.Ceiling(longest) + 100) : 120;
        int width = left + k * cell + recallWidth + 20, height = top + k * cell + bottom;
        width = Math.Max(width, 720);
        using var surface = SKSurface.Create(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul));
        var c = surface.Canvas;
        c.Clear(SKColors.White);
        using var black = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        using var white = new SKPaint { Color = SKColors.White, IsAntialias = true };
        using var grid = new SKPaint { Color = new SKColor(200, 200, 200), Style = SKPaintStyle.Stroke, StrokeWidth = 1 };
        using var titleFont = new SKFont(PlotFonts.Bold, 22);
        using var axisFont = new SKFont(PlotFonts.Bold, 17);
        using var cellFont = new SKFont(PlotFonts.Regular, 15);
        using var cellBold = new SKFont(PlotFonts.Bold, 15);

        c.DrawText(Fit(title, titleFont, width - 20), width / 2f, 34, SKTextAlign.Center, titleFont, black);
        c.DrawText("Predicted class", left + k * cell / 2f, 76, SKTextAlign.Center, axisFont, black); // above the column names
        c.Save();
        c.RotateDegrees(-90, 30, top + k * cell / 2f);
        c.DrawText("True class", 30, top + k * cell / 2f + 6, SKTextAlign.Center, axisFont, black);
        c.Restore();
        c.DrawText("Recall", left + k * cell + recallWidth / 2f, top - 12, SKTextAlign.Center, axisFont, black);

        for (int j = 0; j < k; j++)
        {
            float x = left + j * cell + cell / 2f;
            if (!upright)
            {
                c.DrawText(classNames[j], x, top - 12, SKTextAlign.Center, tickFont, black);
                continue;
            }
            // Read bottom to top, ending just above the grid.
            c.Save();
            c.RotateDegrees(-90, x + 6, top - 10);
            c.DrawText(classNames[j], x + 6, top - 10, SKTextAlign.Left, tickFont, black);
            c.Restore();
        }
        for (int i = 0; i < k; i++)
        {
            long rowTotal = 0;
            for (int j = 0; j < k; j++) rowTotal += counts[i, j];
            float y = top + i * cell;
            c.DrawText(classNames[i], left - 14, y + cell / 2f + 6, SKTextAlign.Right, tickFont, black);
            for (int j = 0; j < k; j++)
            {
                double f = rowTotal == 0 ? 0 : (double)counts[i, j] / rowTotal;
                var rect = new SKRect(left + j * cell, y, left + (j + 1) * cell, y + cell);
                using (var fill = new SKPaint { Color = Shade(f) }) c.DrawRect(rect, fill);
                c.DrawRect(rect, grid);
                if (counts[i, j] != 0)
                    c.DrawText(counts[i, j].ToString(CultureInfo.InvariantCulture), rect.MidX, rect.MidY + 5, SKTextAlign.Center,
                        i == j ? cellBold : cellFont, f > 0.45 ? white : black);
            }
            string recall = rowTotal == 0 ? "-" : Training.LogFormat.Percent((double)counts[i, i] / rowTotal, 1);
            c.DrawText(recall, left + k * cell + recallWidth / 2f, y + cell / 2f + 6, SKTextAlign.Center, tickFont, black);
        }
        c.DrawText("Cells: number of test images; shading: fraction of the true class's images.", left, top + k * cell + 28,
            SKTextAlign.Left, cellFont, black);
        SavePng(surface, path);
    }

    // White → dark blue.
    private static SKColor Shade(double f)
    {
        f = Math.Clamp(f, 0, 1);
        return new SKColor((byte)(255 + (8 - 255) * f), (byte)(255 + (48 - 255) * f), (byte)(255 + (107 - 255) * f));
    }

    // ------------------------------------------------------------------ image grid

    /// <summary>One tile of <see cref="SaveImageGrid"/>: a grey image in [0, 1] and its caption lines.</summary>
    public sealed record Tile(float[] Pixels, int Height, int Width, string Caption, string Detail);

    /// <summary>
    /// Images in a grid, each drawn 3× with a caption under it (e.g. misclassified test images: "7 → 2" and the
    /// confidence).
    /// </summary>
    public static void SaveImageGrid(IReadOnlyList<Tile> tiles, string title, string path, int columns = 8)
    {
        if (tiles.Count == 0) throw new ArgumentException("No images to draw.");
        const int scale = 3, pad = 14, arrowLength = 3;
        const string arrow = " → ";
        int tileW = tiles.Max(t => t.Width) * scale, tileH = tiles.Max(t => t.Height) * scale;
        int cols = Math.Min(columns, tiles.Count), rows = (tiles.Count + cols - 1) / cols;
        int cellW = tileW + 2 * pad;
        using var captionFont = new SKFont(PlotFonts.Bold, 16);
        // Long class names ("Sneaker → Ankle boot") go on two lines, split after the arrow, rather than shrink to nothing.
        bool twoLines = tiles.Any(t => captionFont.MeasureText(t.Caption) > cellW - 4 && t.Caption.Contains(arrow, StringComparison.Ordinal));
        int captionHeight = twoLines ? 64 : 46, cellH = tileH + captionHeight + pad;
        int width = Math.Max(cols * cellW, 720), height = HeaderHeight + rows * cellH + 10;
        using var surface = SKSurface.Create(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul));
        var c = surface.Canvas;
        c.Clear(SKColors.White);
        using var black = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        using var grey = new SKPaint { Color = new SKColor(90, 90, 90), IsAntialias = true };
        using var border = new SKPaint { Color = new SKColor(160, 160, 160), Style = SKPaintStyle.Stroke, StrokeWidth = 1 };
        using var titleFont = new SKFont(PlotFonts.Bold, 20);
        using var detailFont = new SKFont(PlotFonts.Regular, 13);
        c.DrawText(Fit(title, titleFont, width - 20), width / 2f, 34, SKTextAlign.Center, titleFont, black);
        float x0 = (width - cols * cellW) / 2f;
        for (int i = 0; i < tiles.Count; i++)
        {
            var t = tiles[i];
            float x = x0 + i % cols * cellW + pad, y = HeaderHeight + i / cols * cellH;
            var bytes = new byte[t.Height * t.Width];
            for (int p = 0; p < bytes.Length; p++) bytes[p] = (byte)Math.Clamp((int)Math.Round(t.Pixels[p] * 255), 0, 255);
            using var image = SKImage.FromPixelCopy(new SKImageInfo(t.Width, t.Height, SKColorType.Gray8, SKAlphaType.Opaque), bytes);
            var dest = new SKRect(x, y, x + t.Width * scale, y + t.Height * scale);
            c.DrawImage(image, dest, new SKSamplingOptions(SKFilterMode.Nearest), null);
            c.DrawRect(dest, border);
            int split = twoLines ? t.Caption.IndexOf(arrow, StringComparison.Ordinal) : -1;
            if (split >= 0)
            {
                DrawFitted(c, t.Caption[..(split + arrowLength - 1)], dest.MidX, dest.Bottom + 20, captionFont, cellW - 4, black);
                DrawFitted(c, t.Caption[(split + arrowLength)..], dest.MidX, dest.Bottom + 38, captionFont, cellW - 4, black);
            }
            else DrawFitted(c, t.Caption, dest.MidX, dest.Bottom + 20, captionFont, cellW - 4, black);
            c.DrawText(t.Detail, dest.MidX, dest.Bottom + captionHeight - 8, SKTextAlign.Center, detailFont, grey);
        }
        SavePng(surface, path);
    }

    // ------------------------------------------------------------------ helpers

    private static void SavePng(SKSurface surface, string path)
    {
        using var image = surface.Snapshot();
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        string tmp = path + ".tmp";
        using (var file = File.Create(tmp))
        {
            data.SaveTo(file);
            file.Flush(flushToDisk: true);
        }
        Praxis.IO.AtomicFile.Replace(tmp, path);
    }

    /// <summary>
    /// Draws centred text no wider than <paramref name="maxWidth"/>: a smaller font first (down to 10 px, so
    /// "T-shirt/top → Ankle boot" stays readable under its tile), an ellipsis only beyond that.
    /// </summary>
    private static void DrawFitted(SKCanvas c, string text, float x, float y, SKFont font, float maxWidth, SKPaint paint)
    {
        float original = font.Size;
        while (font.Size > 10 && font.MeasureText(text) > maxWidth) font.Size -= 1;
        c.DrawText(Fit(text, font, maxWidth), x, y, SKTextAlign.Center, font, paint);
        font.Size = original; // the font is shared by every tile
    }

    /// <summary>Shortens <paramref name="text"/> with an ellipsis until it fits <paramref name="maxWidth"/> pixels.</summary>
    private static string Fit(string text, SKFont font, float maxWidth)
    {
        if (font.MeasureText(text) <= maxWidth) return text;
        while (text.Length > 1 && font.MeasureText(text + "…") > maxWidth) text = text[..^1];
        return text + "…";
    }

    private static int IndexOfMin(List<double> v)
    {
        int best = -1;
        for (int i = 0; i < v.Count; i++)
            if (double.IsFinite(v[i]) && (best < 0 || v[i] < v[best])) best = i;
        return Math.Max(best, 0);
    }

    private static string Pretty(string metric) => metric switch
    {
        "" => metric,
        "confident_0_9" => "Confident (>= 0.9)", // the GAN judge's share of digits recognised with confidence >= 0.9
        _ => char.ToUpperInvariant(metric[0]) + metric[1..].Replace('_', ' '),
    };
}
