// End-to-end benchmark of the seed workload, printed in the same key=value form as the peer harness
// (../shared/bench/run-peer.sh torchsharp mlp): Input(784) → Dense(64, relu) → Dense(10, softmax), Adam, categorical
// cross-entropy, batch 32, 60,000 MNIST images, reshuffled each epoch. Data loading is excluded from the timing.
//
//   dotnet bench/Praxis.Bench.Seed/bin/Release/net10.0/Praxis.Bench.Seed.dll [--epochs 5] [--seed 42] [--threads N]
using System.Diagnostics;
using System.Globalization;
using Praxis;
using Praxis.Data;
using Praxis.Layers;
using Praxis.Models;
using static Praxis.Keras;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
int epochs = Opt("--epochs", 5), seed = Opt("--seed", 42), threads = Opt("--threads", Environment.ProcessorCount);
Praxis.Kernels.KernelPool.NumThreads = threads;
SetRandomSeed(seed);

var load = Stopwatch.StartNew();
var ((xTrain, yTrain), (xTest, yTest)) = Mnist.LoadData();
xTrain = xTrain.Reshape(-1, 784);
xTest = xTest.Reshape(-1, 784);
yTrain = ToCategorical(yTrain, 10);
yTest = ToCategorical(yTest, 10);
Console.WriteLine($"peer=praxis mode=mlp praxis={PraxisInfo.Version} dotnet={Environment.Version} threads={threads} seed={seed} epochs={epochs}");
Console.WriteLine($"load_s={load.Elapsed.TotalSeconds:F3} train={xTrain.Shape[0]} test={xTest.Shape[0]}");

var inputs = Input(shape: [784]);
var hidden = new Dense(64, activation: "relu").Apply(inputs);
var outputs = new Dense(10, activation: "softmax").Apply(hidden);
var model = new Model(inputs, outputs);
model.Compile(optimizer: "adam", loss: "categorical_crossentropy", metrics: ["accuracy"]);

var perEpoch = new List<double>();
var timer = new EpochTimer(perEpoch);
var history = model.Fit(xTrain, yTrain, epochs: epochs, batchSize: 32, verbose: 0, callbacks: [timer]);
for (int e = 0; e < epochs; e++)
    Console.WriteLine($"mlp_epoch={e + 1} train_s={perEpoch[e]:F3} train_loss={history["loss"][e]:F4} train_acc={history["accuracy"][e]:F4}");
Console.WriteLine($"mlp_train_total_s={perEpoch.Sum():F3} mlp_epochs={epochs} per_epoch_s=[{string.Join(", ", perEpoch.Select(s => s.ToString("F3")))}]");
var eval = Stopwatch.StartNew();
var result = model.Evaluate(xTest, yTest, batchSize: 1000);
Console.WriteLine($"mlp_test_acc={result["accuracy"]:F4} eval_s={eval.Elapsed.TotalSeconds:F3}");
Console.WriteLine($"peak_rss_mib={Process.GetCurrentProcess().PeakWorkingSet64 / (1024.0 * 1024):F1}");

int Opt(string name, int fallback)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
}

sealed class EpochTimer(List<double> perEpoch) : Praxis.Callbacks.Callback
{
    private readonly Stopwatch _clock = new();

    public override void OnEpochBegin(int epoch, IReadOnlyDictionary<string, double> logs) => _clock.Restart();

    public override void OnEpochEnd(int epoch, IReadOnlyDictionary<string, double> logs) => perEpoch.Add(_clock.Elapsed.TotalSeconds);
}
