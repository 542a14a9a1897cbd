using System.Text.Json.Nodes;
using Praxis.Cli.Commands;
using Praxis.Cli.Imaging;
using Praxis.Cli.Journal;
using Praxis.Cli.Plotting;
using Praxis.Data;
using SkiaSharp;

namespace Praxis.Cli.Tests;

[Collection(TrainedRuns.Collection)]
public class PictureTests(TrainedRuns runs)
{
    private static SKBitmap Decode(string path)
    {
        var bmp = SKBitmap.Decode(path);
        Assert.NotNull(bmp);
        return bmp;
    }

    /// <summary>Counts dark pixels (text, lines) in a region: zero would mean nothing was drawn there.</summary>
    private static int DarkPixels(SKBitmap bmp, SKRectI region)
    {
        int n = 0;
        for (int y = region.Top; y < region.Bottom; y++)
            for (int x = region.Left; x < region.Right; x++)
            {
                var c = bmp.GetPixel(x, y);
                if (c.Red + c.Green + c.Blue < 200) n++;
            }
        return n;
    }

    [Fact]
    public void PlotDrawsCurvesWithTitleAxesAndLegendText()
    {
        string png = Path.Combine(runs.Root, "plot-test.png");
        var r = CliHarness.Run("plot", "2", "-o", png, "--runs-dir", runs.Root);
        Assert.Equal(0, r.ExitCode);
        using var bmp = Decode(png);
        // loss and accuracy panels side by side, under a title band
        Assert.Equal(1280, bmp.Width);
        Assert.Equal(556, bmp.Height);
        // Text is drawn only if the embedded font works: the title band, the x-axis label and the legend all have ink.
        Assert.True(DarkPixels(bmp, new SKRectI(300, 5, 980, 50)) > 500, "title text missing");
        Assert.True(DarkPixels(bmp, new SKRectI(250, 420, 400, 460)) > 50, "x-axis label 'Epoch' missing");
        Assert.True(DarkPixels(bmp, new SKRectI(150, 480, 500, 550)) > 200, "legend text missing");
        Assert.True(DarkPixels(bmp, new SKRectI(0, 100, 40, 400)) > 30, "y-axis label missing");
    }

    [Fact]
    public void PlotLeavesTheRunsOwnCurvesAlone()
    {
        string kept = Path.Combine(runs.FirstDir, RunFolder.CurvesFile);
        var before = File.GetLastWriteTimeUtc(kept);
        string cwd = Environment.CurrentDirectory;
        string here = Directory.CreateTempSubdirectory("praxis-cli-plot-").FullName;
        try
        {
            Environment.CurrentDirectory = here;
            var r = CliHarness.Run("plot", "1", "--runs-dir", runs.Root);
            Assert.Equal(0, r.ExitCode);
            string id = Path.GetFileName(runs.FirstDir);
            Assert.True(File.Exists(Path.Combine(here, $"curves-{id}.png")));
            Assert.Contains($"curves-{id}.png", r.Out);
            Assert.Equal(before, File.GetLastWriteTimeUtc(kept));
        }
        finally
        {
            Environment.CurrentDirectory = cwd;
            Directory.Delete(here, true);
        }
    }

    [Fact]
    public void PlotOverlaysSeveralRuns()
    {
        string png = Path.Combine(runs.Root, "compare-test.png");
        var r = CliHarness.Run("plot", "1", "2", "-o", png, "--runs-dir", runs.Root);
        Assert.Equal(0, r.ExitCode);
        using var bmp = Decode(png);
        Assert.Equal(1280, bmp.Width);
    }

    [Fact]
    public void TrainingDrawsTheConfusionMatrixAndMisclassifiedImages()
    {
        using var confusion = Decode(Path.Combine(runs.FirstDir, RunFolder.ConfusionFile));
        Assert.True(confusion.Width >= 700 && confusion.Height >= 600);
        Assert.True(DarkPixels(confusion, new SKRectI(0, 0, confusion.Width, 50)) > 500, "title missing");
        using var grid = Decode(Path.Combine(runs.FirstDir, RunFolder.MisclassifiedFile));
        Assert.True(grid.Width >= 700);
    }

    [Fact]
    public void ChartsRefuseAnEmptyJournal()
    {
        var e = Assert.Throws<CliException>(() => Charts.SaveCurves(new MetricsTable(), "empty", Path.Combine(runs.Root, "never.png")));
        Assert.Contains("no epochs to plot", e.Message);
    }

    internal static string WriteDigitPng(string dir, float[] pixels, int index)
    {
        var bytes = pixels.Select(v => (byte)Math.Round(v * 255)).ToArray();
        using var image = SKImage.FromPixelCopy(new SKImageInfo(28, 28, SKColorType.Gray8, SKAlphaType.Opaque), bytes);
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        string path = Path.Combine(dir, $"digit-{index}.png");
        using (var f = File.Create(path)) data.SaveTo(f);
        return path;
    }

    [Fact]
    public void PredictOnAPngOfATestDigitMatchesTheModelOnTheTensor()
    {
        var (_, (xTest, yTest)) = Mnist.LoadData();
        var run = RunFolder.Open(runs.SecondDir);
        var (recipe, model) = ModelCommands.LoadModel(run);
        var direct = model.Predict(recipe.PrepareInputs(xTest.SliceRows(0, 8))).ToArray();
        string dir = Directory.CreateTempSubdirectory("praxis-digits-").FullName;
        try
        {
            int correct = 0;
            for (int i = 0; i < 8; i++)
            {
                var px = new float[784];
                xTest.CopyTo(px, i * 784);
                string png = WriteDigitPng(dir, px, i);
                var r = CliHarness.Run("predict", png, "--run", runs.SecondDir, "--json");
                Assert.Equal(0, r.ExitCode);
                var p = JsonNode.Parse(r.Out)!["predictions"]![0]!;
                int label = (int)yTest[i];
                if (p["predicted"]!.GetValue<string>() == label.ToString()) correct++;
                // The PNG round trip is exact (8-bit pixels), so the probabilities are the model's on the tensor.
                for (int c = 0; c < 10; c++)
                    Assert.InRange(p["probabilities"]![c.ToString()]!.GetValue<double>() - direct[i * 10 + c], -1e-6, 1e-6); // JSON keeps 6 decimals
            }
            Assert.True(correct >= 7, $"{correct}/8 test digits right"); // the run reaches ~90% on the test set

            var text = CliHarness.Run("predict", Path.Combine(dir, "digit-0.png"), "--run", "2", "--runs-dir", runs.Root);
            Assert.StartsWith($"{Path.Combine(dir, "digit-0.png")}: 7 (", text.Out); // test image 0 is a 7
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void PredictOnANonImageFileSaysWhatItGot()
    {
        string path = Path.Combine(runs.Root, "notes.txt");
        File.WriteAllText(path, "hello, not an image\n");
        var r = CliHarness.Run("predict", path, "--runs-dir", runs.Root);
        Assert.Equal(1, r.ExitCode);
        Assert.Equal($"error: {path}: not an image: expected a PNG, JPEG, BMP or GIF picture or an IDX file, but the file starts with bytes 68 65 6C 6C 6F 2C 20 6E (it looks like text).\n", r.Err);

        File.WriteAllBytes(path, [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 1, 2, 3]); // a PNG signature, then garbage
        r = CliHarness.Run("predict", path, "--runs-dir", runs.Root);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("the PNG data could not be decoded", r.Err);

        r = CliHarness.Run("predict", Path.Combine(runs.Root, "missing.png"), "--runs-dir", runs.Root);
        Assert.Contains("no such file", r.Err);
    }

    [Fact]
    public void PredictReadsIdxFiles()
    {
        var r = CliHarness.Run("predict", Path.Combine(Mnist.Locate(), "t10k-images-idx3-ubyte.gz"), "--limit", "3", "--runs-dir", runs.Root);
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("10,000 images (IDX)", r.Out);
        Assert.Matches(@"#0\s+7 ", r.Out);
        Assert.Contains("… 9,997 more", r.Out);
        r = CliHarness.Run("predict", Path.Combine(Mnist.Locate(), "t10k-labels-idx1-ubyte.gz"), "--runs-dir", runs.Root);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("IDX file of shape (10000); expected images of shape (N, 28, 28)", r.Err);
    }

    [Fact]
    public void LargeDarkOnLightPicturesAreFramedLikeMnist()
    {
        // Test image 0 (a 7), enlarged 4x and inverted to dark ink on white, as a scan or drawing would be.
        var (_, (xTest, _)) = Mnist.LoadData();
        var px = new float[784];
        xTest.CopyTo(px, 0);
        var big = new byte[112 * 112 * 3];
        for (int y = 0; y < 112; y++)
            for (int x = 0; x < 112; x++)
            {
                byte v = (byte)(255 - Math.Round(px[y / 4 * 28 + x / 4] * 255));
                big[(y * 112 + x) * 3] = big[(y * 112 + x) * 3 + 1] = big[(y * 112 + x) * 3 + 2] = v;
            }
        using var rgba = new SKBitmap(112, 112, SKColorType.Rgba8888, SKAlphaType.Opaque);
        for (int y = 0; y < 112; y++)
            for (int x = 0; x < 112; x++)
                rgba.SetPixel(x, y, new SKColor(big[(y * 112 + x) * 3], big[(y * 112 + x) * 3], big[(y * 112 + x) * 3]));
        string path = Path.Combine(runs.Root, "big7.png");
        using (var f = File.Create(path)) rgba.Encode(f, SKEncodedImageFormat.Png, 100);

        var result = ImageInput.Load(path, 28, 28);
        Assert.Equal("PNG", result.Format);
        Assert.Equal(2, result.Notes.Count); // inverted, and reframed
        var img = result.Images.ToArray();
        Assert.All(img, v => Assert.InRange(v, 0f, 1f));
        Assert.True(img[0] < 0.01f && img[27] < 0.01f && img[783] < 0.01f, "background must be dark after inversion");
        double mass = 0, my = 0, mx = 0;
        for (int i = 0; i < 784; i++) { mass += img[i]; my += img[i] * (i / 28 + 0.5); mx += img[i] * (i % 28 + 0.5); }
        Assert.InRange(mx / mass, 13, 15); // centred by mass, as MNIST
        Assert.InRange(my / mass, 13, 15);

        var r = CliHarness.Run("predict", path, "--run", runs.SecondDir, "--json");
        Assert.Equal("7", JsonNode.Parse(r.Out)!["predictions"]![0]!["predicted"]!.GetValue<string>());
    }
}
