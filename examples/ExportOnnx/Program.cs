// Keep, resume and serve a model from code. (From the command line, `praxis export RUN|FILE` exports journal runs
// and saved model files.)
//
//   dotnet run -c Release --project examples/ExportOnnx -- --model model.praxis --out model.onnx
//       loads a model saved with model.Save (or ModelCheckpoint) and writes it as ONNX;
//   dotnet run -c Release --project examples/ExportOnnx -- [--epochs 1] [--dir out]
//       trains the seed MLP on MNIST with a checkpoint per epoch and crash-safe resume (BackupAndRestore: stop it with
//       Ctrl+C and run it again, it continues from the last finished epoch), then saves out/model.praxis, reloads it
//       and checks the predictions are bit-identical, and exports out/model.onnx.
//
// The .onnx file runs in ONNX Runtime (C#: new InferenceSession("model.onnx")) with input "input_layer" of shape
// [N, 784] and output "dense_1" of shape [N, 10]; tests/Praxis.Tests/IO/OnnxExportTests.cs checks it matches Predict.
using Praxis;
using Praxis.Callbacks;
using Praxis.Data;
using Praxis.Layers;
using Praxis.Models;
using static Praxis.Keras;

string? modelPath = Arg("--model");
string dir = Arg("--dir") ?? "out";
string onnxPath = Arg("--out") ?? Path.Combine(dir, "model.onnx");
int opset = int.Parse(Arg("--opset") ?? Praxis.IO.Onnx.OnnxExporter.DefaultOpset.ToString(System.Globalization.CultureInfo.InvariantCulture));

if (modelPath != null)
{
    var loaded = Model.Load(modelPath, compile: false);
    loaded.Summary();
    loaded.ExportOnnx(onnxPath, opset);
    Console.WriteLine($"Exported {modelPath} to {onnxPath} (opset {opset}, {new FileInfo(onnxPath).Length:N0} bytes).");
    return;
}

int epochs = int.Parse(Arg("--epochs") ?? "1");
SetRandomSeed(42);
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

Directory.CreateDirectory(dir);
var callbacks = new Callback[]
{
    new ModelCheckpoint(Path.Combine(dir, "epoch{epoch:02d}-{val_accuracy:.4f}.praxis"), monitor: "val_accuracy"),
    new ModelCheckpoint(Path.Combine(dir, "best.praxis"), monitor: "val_accuracy", saveBestOnly: true, verbose: 1),
    new BackupAndRestore(Path.Combine(dir, "backup")),
};
model.Fit(xTrain, yTrain, epochs: epochs, batchSize: 32, validationData: (xTest, yTest), callbacks: callbacks);

string savedPath = Path.Combine(dir, "model.praxis");
model.Save(savedPath);
var reloaded = Model.Load(savedPath);
var a = model.Predict(xTest).ToArray();
var b = reloaded.Predict(xTest).ToArray();
bool identical = a.AsSpan().SequenceEqual(b);
Console.WriteLine($"Saved {savedPath} ({new FileInfo(savedPath).Length:N0} bytes); reloaded predictions bit-identical: {identical}");

model.ExportOnnx(onnxPath, opset);
Console.WriteLine($"Exported {onnxPath} (opset {opset}, {new FileInfo(onnxPath).Length:N0} bytes).");
return;

string? Arg(string name)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}
