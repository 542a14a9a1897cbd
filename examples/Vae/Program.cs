// keras.io's "Variational AutoEncoder" (examples/generative/vae.py, fchollet), written as Keras writes it: a Sampling
// layer, a functional encoder and decoder, and a Model subclass with its own TrainStep, trained with Fit.
//
//   vae = VAE(encoder, decoder)
//   vae.compile(optimizer=keras.optimizers.Adam())
//   vae.fit(mnist_digits, epochs=30, batch_size=128)
//
// Run:  dotnet run -c Release --project examples/Vae [-- --epochs 30 --seed 42 --out vae-out --samples N]
// Writes to --out: latent_space.png (a 30×30 grid of digits decoded over z ∈ [-1, 1]², plot_latent_space),
// label_clusters.png (z_mean of the training digits, one colour per class, plot_label_clusters) and vae.praxis.
// Per-epoch losses are printed as Keras prints them (loss, reconstruction_loss, kl_loss).
using System.Diagnostics;
using System.Globalization;
using Praxis;
using Praxis.Callbacks;
using Praxis.Data;
using Praxis.IO;
using Praxis.Layers;
using Praxis.Losses;
using Praxis.Metrics;
using Praxis.Models;
using static Praxis.Keras;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
int epochs = ArgInt("--epochs", 30);
int seed = ArgInt("--seed", 42);
string outDir = Arg("--out", "vae-out");
Directory.CreateDirectory(outDir);
SetRandomSeed(seed);

// ---- the encoder: 69,076 parameters, as Keras' summary says
const int latentDim = 2;
var encoderInputs = Input(shape: [28, 28, 1]);
var x = new Conv2D(32, 3, strides: 2, padding: "same", activation: "relu").Apply(encoderInputs);
x = new Conv2D(64, 3, strides: 2, padding: "same", activation: "relu").Apply(x);
x = new Flatten().Apply(x);
x = new Dense(16, activation: "relu").Apply(x);
var zMean = new Dense(latentDim, name: "z_mean").Apply(x);
var zLogVar = new Dense(latentDim, name: "z_log_var").Apply(x);
var z = new Sampling().Apply(zMean, zLogVar);
var encoder = new Model([encoderInputs], [zMean, zLogVar, z], name: "encoder");
encoder.Summary();

// ---- the decoder: 65,089 parameters
var latentInputs = Input(shape: [latentDim]);
var y = new Dense(7 * 7 * 64, activation: "relu").Apply(latentInputs);
y = new Reshape([7, 7, 64]).Apply(y);
y = new Conv2DTranspose(64, 3, strides: 2, padding: "same", activation: "relu").Apply(y);
y = new Conv2DTranspose(32, 3, strides: 2, padding: "same", activation: "relu").Apply(y);
var decoderOutputs = new Conv2DTranspose(1, 3, padding: "same", activation: "sigmoid").Apply(y);
var decoder = new Model(latentInputs, decoderOutputs, name: "decoder");
decoder.Summary();

// ---- train on all 70,000 digits, as the Keras example does
var ((xTrain, yTrain), (xTest, yTest)) = Mnist.LoadData();
var mnistDigits = Tensor.Concat([xTrain, xTest], axis: 0).Reshape(-1, 28, 28, 1);
var labels = Tensor.Concat([yTrain, yTest], axis: 0);
int samples = ArgInt("--samples", mnistDigits.Shape[0]); // a smaller run for a quick look
mnistDigits = mnistDigits.SliceRows(0, samples);
labels = labels.SliceRows(0, samples);

var vae = new Vae(encoder, decoder);
vae.Compile(optimizer: new Praxis.Optimizers.Adam());
var timer = new EpochSeconds();
var clock = Stopwatch.StartNew();
var history = vae.Fit(mnistDigits, epochs: epochs, batchSize: 128, verbose: 2, callbacks: [timer]);
Console.WriteLine($"vae_train_s={clock.Elapsed.TotalSeconds:F1} per_epoch_s=[{string.Join(", ", timer.Seconds.Select(s => s.ToString("F1")))}]");
for (int e = 0; e < history.Epochs.Count; e++)
    Console.WriteLine($"epoch {e + 1}: loss={history.Metrics["loss"][e]:F4} reconstruction_loss={history.Metrics["reconstruction_loss"][e]:F4} kl_loss={history.Metrics["kl_loss"][e]:F4}");

// ---- plot_latent_space: decode a 30×30 grid over [-1, 1]² (top row z[1] = 1, as the Keras figure)
const int n = 30;
var grid = new Tensor(new Shape(n * n, latentDim));
for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++)
    {
        grid.Span[(i * n + j) * 2] = -1f + 2f * j / (n - 1);
        grid.Span[(i * n + j) * 2 + 1] = 1f - 2f * i / (n - 1);
    }
Png.SaveGrid(Path.Combine(outDir, "latent_space.png"), decoder.Predict(grid, batchSize: 128), columns: n, border: 0);

// ---- plot_label_clusters: z_mean of the 60,000 training digits, coloured by label
int shown = Math.Min(60000, samples);
var means = encoder.PredictMany([mnistDigits.SliceRows(0, shown)], batchSize: 256)[0];
LabelClusters.Save(Path.Combine(outDir, "label_clusters.png"), means, labels.SliceRows(0, shown));
if (!args.Contains("--no-save")) vae.Save(Path.Combine(outDir, "vae.praxis"));
Console.WriteLine($"wrote {outDir}/latent_space.png, {outDir}/label_clusters.png, {outDir}/vae.praxis");
Console.WriteLine($"peak_rss_mib={Process.GetCurrentProcess().PeakWorkingSet64 / (1024.0 * 1024):F0}");

string Arg(string name, string fallback)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
}

int ArgInt(string name, int fallback) => int.Parse(Arg(name, fallback.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);

/// <summary>Uses (z_mean, z_log_var) to sample z, the vector encoding a digit: z = mean + exp(0.5·log var)·ε.</summary>
sealed class Sampling : Layer, IRandomStateful
{
    private readonly Rng _seedGenerator = new(1337); // Keras: keras.random.SeedGenerator(1337)

    static Sampling() => LayerRegistry.Register("Sampling", c => new Sampling(c.Name));

    public Sampling(string? name = null) : base(name) { }

    // ε comes from Tensor.RandomNormal, an op that draws afresh on every replay, and Call reads no values: the replay
    // rule holds, so Fit may record this layer once.
    public override bool ReplaySafe => true;

    Rng? IRandomStateful.OwnRandom => _seedGenerator;

    public override Tensor[] Call(Tensor[] inputs, bool training)
    {
        var (mean, logVar) = (inputs[0], inputs[1]);
        var epsilon = Tensor.RandomNormal(mean.Shape, rng: _seedGenerator);
        return [mean + (0.5f * logVar).Exp() * epsilon];
    }
}

/// <summary>The VAE: the encoder and decoder it owns, three loss trackers and its own training step.</summary>
sealed class Vae : Model
{
    private readonly Model _encoder, _decoder;
    private readonly Mean _totalLoss = new("total_loss"), _reconstructionLoss = new("reconstruction_loss"), _klLoss = new("kl_loss");
    private readonly BinaryCrossentropy _bce = new();
    private readonly Dictionary<string, double> _logs = new();

    public Vae(Model encoder, Model decoder, string? name = null) : base(name)
    {
        _encoder = Track(encoder);
        _decoder = Track(decoder);
    }

    public override IReadOnlyList<Metric> Metrics => [_totalLoss, _reconstructionLoss, _klLoss];

    // The whole VAE as a model: z → reconstruction, for Predict and for saving.
    public override Tensor Call(Tensor input, bool training) => _decoder.Call(_encoder.Call([input], training)[2], training);

    protected override Dictionary<string, double> TrainStep(Batch data)
    {
        var x = data.Input;
        var encoded = _encoder.ApplyMany([x], training: true); // z_mean, z_log_var, z
        var (zMean, zLogVar, z) = (encoded[0], encoded[1], encoded[2]);
        var reconstruction = _decoder.Apply(z, training: true);
        // ops.mean(ops.sum(binary_crossentropy(data, reconstruction), axis=(1, 2))): BCE per pixel, summed per image
        var reconstructionLoss = _bce.Elementwise(x, reconstruction).Reshape(-1, 28 * 28).Sum(1).Mean();
        var klLoss = (-0.5f * (1f + zLogVar - zMean.Square() - zLogVar.Exp())).Sum(1).Mean();
        var totalLoss = reconstructionLoss + klLoss;
        ApplyGradients(totalLoss);
        _totalLoss.UpdateState(totalLoss);
        _reconstructionLoss.UpdateState(reconstructionLoss);
        _klLoss.UpdateState(klLoss);
        _logs["loss"] = _totalLoss.Result();
        _logs["reconstruction_loss"] = _reconstructionLoss.Result();
        _logs["kl_loss"] = _klLoss.Result();
        return _logs;
    }
}

/// <summary>Training seconds of each epoch.</summary>
sealed class EpochSeconds : Callback
{
    private readonly Stopwatch _clock = new();
    public List<double> Seconds { get; } = new();
    public override void OnEpochBegin(int epoch, IReadOnlyDictionary<string, double> logs) => _clock.Restart();
    public override void OnEpochEnd(int epoch, IReadOnlyDictionary<string, double> logs) => Seconds.Add(_clock.Elapsed.TotalSeconds);
}

/// <summary>A scatter of 2-D points coloured by class (matplotlib's tab10 colours), written as an RGB PNG.</summary>
static class LabelClusters
{
    private static readonly byte[][] Tab10 =
    [
        [31, 119, 180], [255, 127, 14], [44, 160, 44], [214, 39, 40], [148, 103, 189],
        [140, 86, 75], [227, 119, 194], [127, 127, 127], [188, 189, 34], [23, 190, 207],
    ];

    public static void Save(string path, Tensor points, Tensor labels, int size = 720)
    {
        var p = points.Span;
        int count = points.Shape[0];
        float minX = float.MaxValue, maxX = float.MinValue, minY = float.MaxValue, maxY = float.MinValue;
        for (int i = 0; i < count; i++)
        {
            minX = Math.Min(minX, p[2 * i]); maxX = Math.Max(maxX, p[2 * i]);
            minY = Math.Min(minY, p[2 * i + 1]); maxY = Math.Max(maxY, p[2 * i + 1]);
        }
        float spanX = Math.Max(maxX - minX, 1e-6f), spanY = Math.Max(maxY - minY, 1e-6f);
        var rgb = new byte[size * size * 3];
        Array.Fill(rgb, (byte)255);
        const int legend = 14;
        for (int i = 0; i < count; i++)
        {
            int px = 8 + (int)((p[2 * i] - minX) / spanX * (size - 16 - legend * 2));
            int py = 8 + (int)((maxY - p[2 * i + 1]) / spanY * (size - 16));
            var c = Tab10[(int)labels.Span[i] % 10];
            for (int dy = 0; dy < 2; dy++)
                for (int dx = 0; dx < 2; dx++)
                {
                    int o = ((py + dy) * size + px + dx) * 3;
                    rgb[o] = c[0]; rgb[o + 1] = c[1]; rgb[o + 2] = c[2];
                }
        }
        // A legend: class k is the k-th swatch from the top on the right edge.
        for (int k = 0; k < 10; k++)
            for (int dy = 0; dy < legend - 4; dy++)
                for (int dx = 0; dx < legend; dx++)
                {
                    int o = ((8 + k * legend + dy) * size + size - legend - 4 + dx) * 3;
                    rgb[o] = Tab10[k][0]; rgb[o + 1] = Tab10[k][1]; rgb[o + 2] = Tab10[k][2];
                }
        AtomicFile.WriteAllBytes(path, Png.EncodeRgb(rgb, size, size));
    }
}
