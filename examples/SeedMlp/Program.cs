// The seed program: the Keras MLP on MNIST, line for line.
//
//   inputs = Input(shape=(784,))
//   hidden = Dense(64, activation='relu')(inputs)
//   outputs = Dense(10, activation='softmax')(hidden)
//   model = Model(inputs, outputs)
//   model.compile(optimizer='adam', loss='categorical_crossentropy', metrics=['accuracy'])
//   model.fit(x_train, y_train, epochs=5, batch_size=32)
//
// Run: dotnet run -c Release --project examples/SeedMlp [-- --epochs N --seed S --export-onnx model.onnx]
// (--export-onnx writes the trained model as ONNX: input [N, 784], output [N, 10]; examples/ServeOnnx serves it.)
using System.Diagnostics;
using Praxis;
using Praxis.Data;
using Praxis.Examples;
using Praxis.Layers;
using Praxis.Models;
using static Praxis.Keras;

int epochs = ArgInt("--epochs", 5);
SetRandomSeed(ArgInt("--seed", 42));

var ((xTrain, yTrain), (xTest, yTest)) = Mnist.LoadData();
xTrain = xTrain.Reshape(-1, 784);
xTest = xTest.Reshape(-1, 784);
yTrain = ToCategorical(yTrain, 10);
yTest = ToCategorical(yTest, 10);

var model = SeedMlpModel.Build();
model.Summary();

var clock = Stopwatch.StartNew();
model.Fit(xTrain, yTrain, epochs: epochs, batchSize: 32);
double trainSeconds = clock.Elapsed.TotalSeconds;

var result = model.Evaluate(xTest, yTest);
Console.WriteLine($"Test loss: {result["loss"]:F4} - test accuracy: {result["accuracy"]:F4}");
Console.WriteLine($"Training time: {trainSeconds:F2} s for {epochs} epochs; peak memory: {Process.GetCurrentProcess().PeakWorkingSet64 / (1024.0 * 1024):F0} MiB");
if (ArgString("--export-onnx") is { } onnxPath)
{
    model.ExportOnnx(onnxPath);
    Console.WriteLine($"Exported {onnxPath} ({new FileInfo(onnxPath).Length:N0} bytes): input [N, 784], output [N, 10].");
}

int ArgInt(string name, int fallback)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1]) : fallback;
}

string? ArgString(string name)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}
