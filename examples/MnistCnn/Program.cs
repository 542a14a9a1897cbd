// Keras' "simple MNIST convnet" (keras.io/examples/vision/mnist_convnet), line for line:
//
//   model = keras.Sequential([
//       keras.Input(shape=(28, 28, 1)),
//       layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
//       layers.MaxPooling2D(pool_size=(2, 2)),
//       layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
//       layers.MaxPooling2D(pool_size=(2, 2)),
//       layers.Flatten(),
//       layers.Dropout(0.5),
//       layers.Dense(num_classes, activation="softmax"),
//   ])
//   model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
//   model.fit(x_train, y_train, batch_size=128, epochs=15, validation_split=0.1)
//
// Differences, on purpose: 12 epochs by default on all 60,000 training images (Keras holds out 10% for validation;
// pass --validation-split 0.1 to do the same), and the test set is evaluated after every epoch so the report shows
// test accuracy per epoch. Training seconds per epoch exclude that evaluation.
//
// Run:   dotnet run -c Release --project examples/MnistCnn [-- --epochs N --seed S --validation-split F]
// Bench: dotnet run -c Release --project examples/MnistCnn -- --bench [--epochs 2]   (no per-epoch evaluation)
// --threads N sets the kernel threads (default: one per core). --export-onnx PATH writes the trained model as ONNX
// (input [N, 28, 28, 1] in [0, 1], output [N, 10] probabilities), which examples/ServeOnnx serves.
using System.Diagnostics;
using System.Globalization;
using Praxis;
using Praxis.Callbacks;
using Praxis.Data;
using Praxis.Examples;
using Praxis.Layers;
using Praxis.Models;
using static Praxis.Keras;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
bool bench = args.Contains("--bench");
int epochs = ArgInt("--epochs", bench ? 2 : 12);
int seed = ArgInt("--seed", 42);
double validationSplit = double.Parse(Arg("--validation-split", "0"), CultureInfo.InvariantCulture);
if (args.Contains("--threads")) Praxis.Kernels.KernelPool.NumThreads = ArgInt("--threads", Environment.ProcessorCount);
SetRandomSeed(seed);

var load = Stopwatch.StartNew();
var ((xTrain, yTrain), (xTest, yTest)) = Mnist.LoadData();
xTrain = xTrain.Reshape(-1, 28, 28, 1); // np.expand_dims(x, -1): channels last
xTest = xTest.Reshape(-1, 28, 28, 1);
yTrain = ToCategorical(yTrain, 10);
yTest = ToCategorical(yTest, 10);
Console.WriteLine($"load_s={load.Elapsed.TotalSeconds:F3} train={xTrain.Shape[0]} test={xTest.Shape[0]} seed={seed} threads={Praxis.Kernels.KernelPool.NumThreads}");

var model = MnistCnnModel.Build();
if (!bench) model.Summary();

var timer = new EpochTimer(bench ? null : (xTest, yTest));
model.Fit(xTrain, yTrain, epochs: epochs, batchSize: 128, verbose: bench ? 0 : 2, callbacks: [timer], validationSplit: validationSplit);

var eval = Stopwatch.StartNew();
var result = model.Evaluate(xTest, yTest, batchSize: 128);
var perEpoch = string.Join(", ", timer.Seconds.Select(s => s.ToString("F3", CultureInfo.InvariantCulture)));
Console.WriteLine($"cnn_train_total_s={timer.Seconds.Sum():F3} cnn_epochs={epochs} per_epoch_s=[{perEpoch}]");
Console.WriteLine($"cnn_test_acc={result["accuracy"]:F4} test_loss={result["loss"]:F4} eval_s={eval.Elapsed.TotalSeconds:F3}");
if (Arg("--export-onnx", "") is { Length: > 0 } onnxPath)
{
    model.ExportOnnx(onnxPath);
    Console.WriteLine($"exported_onnx={onnxPath} bytes={new FileInfo(onnxPath).Length}");
}
Console.WriteLine($"peak_rss_mib={Process.GetCurrentProcess().PeakWorkingSet64 / (1024.0 * 1024):F0}");

string Arg(string name, string fallback)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
}

int ArgInt(string name, int fallback) => int.Parse(Arg(name, fallback.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);

/// <summary>
/// Times the training part of each epoch (first batch start to last batch end, so Fit's validation is excluded) and,
/// when given a test set, evaluates it after each epoch.
/// </summary>
sealed class EpochTimer((Tensor X, Tensor Y)? test) : Callback
{
    private readonly Stopwatch _clock = new();
    private double _lastBatchEnd;

    public List<double> Seconds { get; } = new();

    public override void OnEpochBegin(int epoch, IReadOnlyDictionary<string, double> logs) => _clock.Restart();

    public override void OnTrainBatchEnd(int batch, IReadOnlyDictionary<string, double> logs) => _lastBatchEnd = _clock.Elapsed.TotalSeconds;

    public override void OnEpochEnd(int epoch, IReadOnlyDictionary<string, double> logs)
    {
        Seconds.Add(_lastBatchEnd);
        string line = string.Create(CultureInfo.InvariantCulture,
            $"cnn_epoch={epoch + 1} train_s={_lastBatchEnd:F3} train_loss={logs["loss"]:F4} train_acc={logs["accuracy"]:F4}");
        if (test is { } t)
        {
            var r = Model!.Evaluate(t.X, t.Y, batchSize: 128);
            line += string.Create(CultureInfo.InvariantCulture, $" test_acc={r["accuracy"]:F4} test_loss={r["loss"]:F4}");
        }
        Console.WriteLine(line);
    }
}
