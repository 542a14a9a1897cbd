// Times model.Save, Model.Load and model.ExportOnnx on a 6 x Dense(2048) MLP (25.2M parameters; with Adam's two
// moments the model file holds 75.5M floats, 302 MB). Alternates the three operations for N rounds and prints medians.
//   dotnet run -c Release --project bench/io-throughput -- [rounds] [folder]
using System.Diagnostics;
using Praxis;
using Praxis.Layers;
using Praxis.Models;
using static Praxis.Keras;

int rounds = args.Length > 0 ? int.Parse(args[0]) : 5;
string dir = args.Length > 1 ? args[1] : Path.Combine(Path.GetTempPath(), "praxis-io-bench");
Directory.CreateDirectory(dir);
string file = Path.Combine(dir, "m.praxis"), onnx = Path.Combine(dir, "m.onnx");
SetRandomSeed(1);
var i = Input(shape: [2048]);
var x = i;
for (int k = 0; k < 6; k++) x = new Dense(2048, activation: "relu").Apply(x);
var model = new Model(i, x);
model.Compile("adam", "mse");
model.TrainOnBatch(Tensor.Ones(4, 2048), Tensor.Ones(4, 2048)); // creates the optimizer state
var save = new List<double>();
var load = new List<double>();
var export = new List<double>();
for (int r = 0; r < rounds; r++)
{
    GC.Collect();
    var sw = Stopwatch.StartNew();
    model.Save(file);
    save.Add(sw.Elapsed.TotalSeconds);
    GC.Collect();
    sw.Restart();
    var loaded = Model.Load(file);
    load.Add(sw.Elapsed.TotalSeconds);
    loaded = null;
    GC.Collect();
    sw.Restart();
    model.ExportOnnx(onnx);
    export.Add(sw.Elapsed.TotalSeconds);
}
double mb = new FileInfo(file).Length / 1e6, onnxMb = new FileInfo(onnx).Length / 1e6;
Console.WriteLine($"params={model.CountParams():N0} model file {mb:F1} MB, ONNX {onnxMb:F1} MB; medians of {rounds}:");
Console.WriteLine($"  save {Median(save):F3} s ({mb / Median(save):F0} MB/s)  [{string.Join(", ", save.Select(v => v.ToString("F2")))}]");
Console.WriteLine($"  load {Median(load):F3} s ({mb / Median(load):F0} MB/s)  [{string.Join(", ", load.Select(v => v.ToString("F2")))}]");
Console.WriteLine($"  export {Median(export):F3} s ({onnxMb / Median(export):F0} MB/s)  [{string.Join(", ", export.Select(v => v.ToString("F2")))}]");
Directory.Delete(dir, recursive: true);

static double Median(List<double> v)
{
    var s = v.Order().ToList();
    return s[s.Count / 2];
}
