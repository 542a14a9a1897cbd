// TimeseriesClassification: keras.io's "Timeseries classification from scratch" (hfawaz's fully convolutional
// network) on GENERATED series. keras.io trains on the UCR FordA engine-noise data set, which no registry this project
// can reach ships, so the series come from the seeded generator below (SyntheticEngineSeries), kept in the repository.
//
// Data: 500 steps, 1 channel, two classes of equal size. Both classes are a noisy mix of two sinusoids with random
// frequencies, phases and amplitudes; class 1 ("fault") adds a short damped burst at a random time, as an engine
// knock would. Train 1,600 / test 400 series, standardized per series (the UCR data are z-normalized).
// Model (as keras.io): [Conv1D(64, 3, "same") → BatchNormalization → ReLU] ×3 → GlobalAveragePooling1D →
// Dense(2, softmax); Adam, sparse categorical cross-entropy, sparse accuracy, batch 32, validation_split 0.2,
// ModelCheckpoint(best val_loss), ReduceLROnPlateau(val_loss, factor 0.5, patience 20, min_lr 1e-4) and
// EarlyStopping(val_loss, patience 50) as keras.io, but --epochs (default 15) instead of 500; the test set is scored
// with the best checkpoint.
//
// Run: dotnet run -c Release --project examples/TimeseriesClassification [-- --epochs 15 --seed 1337]
using System.Diagnostics;
using System.Globalization;
using Praxis;
using Praxis.Callbacks;
using Praxis.Layers;
using Praxis.Models;
using static Praxis.Keras;

int epochs = int.Parse(Arg("--epochs", "15"), CultureInfo.InvariantCulture);
int seed = int.Parse(Arg("--seed", "1337"), CultureInfo.InvariantCulture);
SetRandomSeed(seed);

var (xTrain, yTrain) = SyntheticEngineSeries.Generate(1600, 500, seed: 1);
var (xTest, yTest) = SyntheticEngineSeries.Generate(400, 500, seed: 2);
Console.WriteLine($"train={xTrain.Shape} test={xTest.Shape} (generated; class 1 = fault burst)");

var inputs = Input([500, 1]);
var x = inputs;
for (int i = 0; i < 3; i++)
{
    x = new Conv1D(64, 3, padding: "same").Apply(x);
    x = new BatchNormalization().Apply(x);
    x = new ReLU().Apply(x);
}
x = new GlobalAveragePooling1D().Apply(x);
var model = new Model(inputs, new Dense(2, activation: "softmax").Apply(x), name: "fcn");
model.Summary();
model.Compile("adam", "sparse_categorical_crossentropy", ["sparse_categorical_accuracy"]);
string best = Path.Combine(Path.GetTempPath(), $"praxis-timeseries-best-{Environment.ProcessId}.praxis");
var clock = Stopwatch.StartNew();
model.Fit(xTrain, yTrain, epochs: epochs, batchSize: 32, verbose: 1, validationSplit: 0.2,
    callbacks: [new ModelCheckpoint(best, monitor: "val_loss", saveBestOnly: true),
        new ReduceLROnPlateau("val_loss", factor: 0.5, patience: 20, minLr: 1e-4), new EarlyStopping("val_loss", patience: 50)]);
Console.WriteLine($"train_seconds={clock.Elapsed.TotalSeconds:F1}");
// As keras.io: evaluate the checkpoint with the best validation loss (the BatchNormalization statistics make the
// validation curve noisy from epoch to epoch).
var result = Model.Load(best).Evaluate(xTest, yTest);
Console.WriteLine($"test: {string.Join(" ", result.Select(kv => $"{kv.Key}={kv.Value:F4}"))}");

static string Arg(string name, string fallback)
{
    var a = Environment.GetCommandLineArgs();
    int i = Array.IndexOf(a, name);
    return i >= 0 && i + 1 < a.Length ? a[i + 1] : fallback;
}

/// <summary>The seeded two-class generator (see the header): series (n, length, 1) z-normalized per series, labels (n, 1) of 0/1.</summary>
internal static class SyntheticEngineSeries
{
    public static (Tensor X, Tensor Y) Generate(int n, int length, int seed)
    {
        var rng = new Rng(seed);
        var x = new Tensor(new Shape(n, length, 1));
        var y = new Tensor(new Shape(n, 1));
        var s = x.Span;
        for (int i = 0; i < n; i++)
        {
            bool fault = i % 2 == 1;
            y.Span[i] = fault ? 1f : 0f;
            double f1 = rng.Uniform(0.01f, 0.05f), f2 = rng.Uniform(0.05f, 0.12f), p1 = rng.Uniform(0, 6.283f), p2 = rng.Uniform(0, 6.283f);
            double a1 = rng.Uniform(0.5f, 1.5f), a2 = rng.Uniform(0.2f, 0.8f);
            int at = rng.NextInt(length - 100) + 10;
            double fb = rng.Uniform(0.25f, 0.4f), ab = rng.Uniform(1.0f, 2.0f);
            var row = s.Slice(i * length, length);
            double mean = 0;
            for (int t = 0; t < length; t++)
            {
                double v = a1 * Math.Sin(2 * Math.PI * f1 * t + p1) + a2 * Math.Sin(2 * Math.PI * f2 * t + p2) + 0.3 * Normal(rng);
                if (fault && t >= at) v += ab * Math.Exp(-(t - at) / 25.0) * Math.Sin(2 * Math.PI * fb * (t - at));
                row[t] = (float)v;
                mean += v;
            }
            mean /= length;
            double var = 0;
            for (int t = 0; t < length; t++) var += (row[t] - mean) * (row[t] - mean);
            float sd = (float)Math.Sqrt(var / length);
            for (int t = 0; t < length; t++) row[t] = (float)((row[t] - mean) / sd);
        }
        return (x, y);
    }

    private static double Normal(Rng rng)
    {
        double u1 = 1 - rng.NextDouble(), u2 = rng.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}
