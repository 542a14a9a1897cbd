// The seed program, data parallel: every rank runs this same program on its own slice of each global batch.
//
//   dotnet build -c Release examples/DistributedMlp
//   mpirun -np 2 dotnet examples/DistributedMlp/bin/Release/net10.0/DistributedMlp.dll [--epochs N --batch B --seed S]
//   mpirun --hostfile examples/DistributedMlp/hostfile --map-by ppr:1:node --bind-to none dotnet /same/path/DistributedMlp.dll
//
// --batch is the per-rank batch (as in Horovod and PyTorch DDP): N ranks train on global batches of N × B.
using System.Diagnostics;
using Praxis.Data;
using Praxis.Distributed;
using Praxis.Distributed.Mpi;
using Praxis.Layers;
using Praxis.Models;
using static Praxis.Keras;

using var world = MpiProcessGroup.Initialize();
// Ranks on one machine share its cores rather than each taking them all.
Praxis.Kernels.KernelPool.NumThreads = world.SuggestedNumThreads;
int epochs = ArgInt("--epochs", 5), batch = ArgInt("--batch", 32);
SetRandomSeed(ArgInt("--seed", 42));

var ((xTrain, yTrain), (xTest, yTest)) = Mnist.LoadData();
xTrain = xTrain.Reshape(-1, 784);
xTest = xTest.Reshape(-1, 784);
yTrain = ToCategorical(yTrain, 10);
yTest = ToCategorical(yTest, 10);

var inputs = Input(shape: [784]);
var hidden = new Dense(64, activation: "relu").Apply(inputs);
var outputs = new Dense(10, activation: "softmax").Apply(hidden);
var model = new Model(inputs, outputs);
model.Compile(optimizer: "adam", loss: "categorical_crossentropy", metrics: ["accuracy"]);
model.Distribution = new DataParallel(world);
if (world.Rank == 0)
{
    model.Summary();
    Console.WriteLine($"Data parallel on {world.Size} rank(s) ({world.LibraryVersion.Split(',')[0]}): global batch {batch} × {world.Size} = {batch * world.Size}");
}

var clock = Stopwatch.StartNew();
model.Fit(xTrain, yTrain, epochs: epochs, batchSize: batch);
double trainSeconds = clock.Elapsed.TotalSeconds;

// Evaluate is local: every rank holds the same weights, so rank 0 alone evaluates and reports.
if (world.Rank == 0)
{
    var result = model.Evaluate(xTest, yTest);
    Console.WriteLine($"Test loss: {result["loss"]:F4} - test accuracy: {result["accuracy"]:F4}");
    Console.WriteLine($"Training time: {trainSeconds:F2} s for {epochs} epochs on {world.Size} rank(s)");
}

int ArgInt(string name, int fallback)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1]) : fallback;
}
