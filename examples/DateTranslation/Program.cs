// DateTranslation: an encoder–decoder with attention that turns human-written dates into ISO dates,
// "3 May 1979" / "tuesday, june 4 2024" / "5/7/91" → "1979-05-03" / "2024-06-04" / "1991-05-07".
//
// Data are generated here, seeded: dates from 1950-01-01 to 2049-12-31 written in 12 formats (two-digit years map to
// 1950–2049; slashes are US month/day order, dots European day.month order). Held-out dates are drawn separately and
// exclude every string seen in training.
//
// Model (Luong attention): characters → Embedding(mask_zero) → Bidirectional LSTM encoder, whose final states start
// the decoder LSTM; decoder outputs attend over the encoder outputs (keras.layers.Attention, padded input steps
// masked out); [context, decoder output] → Dense(tanh) → Dense(logits). Training uses teacher forcing (the decoder
// reads the true previous character); evaluation decodes greedily, feeding back its own predictions.
//
// Run: dotnet run -c Release --project examples/DateTranslation [-- --epochs N --train N --seed S --export-onnx DIR]
// (--export-onnx writes DIR/date_translation.onnx, the whole model, and the pieces a step-by-step decoder needs:
// DIR/date_encoder.onnx and DIR/date_decoder_step.onnx; tests/Praxis.Tests/IO/OnnxExampleTests.cs has the C# greedy
// decode loop over ONNX Runtime that reads them.)
using System.Diagnostics;
using System.Globalization;
using Praxis;
using Praxis.Data;
using Praxis.Examples;
using Praxis.Layers;
using Praxis.Losses;
using Praxis.Models;
using Praxis.Optimizers;
using static Praxis.Keras;

int seed = ArgInt("--seed", 42);
int nTrain = ArgInt("--train", 30000), nTest = ArgInt("--test", 2000);
int epochs = ArgInt("--epochs", 4), batchSize = ArgInt("--batch", 64);
SetRandomSeed(seed);

// ---- data (DateTranslationModel.cs: 12 formats, seeded)
var dataRng = new Rng(seed);
var trainPairs = Enumerable.Range(0, nTrain).Select(_ => DateTranslationModel.Draw(dataRng)).ToArray();
var seen = trainPairs.Select(p => p.Human).ToHashSet();
var testPairs = new List<(string Human, string Iso)>();
var testRng = new Rng(seed + 1);
while (testPairs.Count < nTest)
{
    var p = DateTranslationModel.Draw(testRng);
    if (seen.Add(p.Human)) testPairs.Add(p);
}
const int outLen = DateTranslationModel.OutLen;
var xTrain = DateTranslationModel.EncodeInputs(trainPairs);
var (dTrain, yTrain) = DateTranslationModel.EncodeOutputs(trainPairs);
var xTest = DateTranslationModel.EncodeInputs(testPairs);
Console.WriteLine($"{nTrain} training and {nTest} held-out pairs, e.g.:");
foreach (var (h, iso) in trainPairs.Take(8)) Console.WriteLine($"  {h,-30} → {iso}");

// ---- model
var model = DateTranslationModel.Build(ArgInt("--units", 64));
model.Summary();

var clock = Stopwatch.StartNew();
for (int epoch = 0; epoch < epochs; epoch++)
{
    var h = model.Fit([xTrain, dTrain], yTrain, epochs: 1, batchSize: batchSize, verbose: 0);
    var (exact, chars) = GreedyAccuracy(xTest, testPairs);
    Console.WriteLine($"epoch {epoch + 1}/{epochs}: loss={h["loss"][^1]:F4} char_accuracy(teacher forced)={h["accuracy"][^1]:F4} " +
        $"held-out greedy exact match={exact:P2} (chars {chars:P2}) elapsed={clock.Elapsed.TotalSeconds:F0}s");
}
var (finalExact, _) = GreedyAccuracy(xTest, testPairs, showErrors: 10);
Console.WriteLine($"date_translation_exact_match={finalExact:F4} on {nTest} held-out dates; wall_s={clock.Elapsed.TotalSeconds:F1} (training and per-epoch greedy evaluation)");
foreach (var s in new[] { "3 May 1979", "tuesday, june 4 2024", "5/7/91", "Jan 1, 2000", "31.12.1999", "SEPTEMBER 9, 2009" })
    Console.WriteLine($"  {s,-24} → {Translate(s)}");
if (ArgString("--export-onnx") is { } onnxDir)
{
    Directory.CreateDirectory(onnxDir);
    string path = Path.Combine(onnxDir, "date_translation.onnx");
    model.ExportOnnx(path);
    Console.WriteLine($"exported_onnx={path} (human [N, {DateTranslationModel.InLen}], previous [N, {outLen}] -> logits [N, {outLen}, {DateTranslationModel.OutVocab}])");
    var (encoder, decoderStep) = DateTranslationModel.InferencePieces(model);
    encoder.ExportOnnx(Path.Combine(onnxDir, "date_encoder.onnx"));
    decoderStep.ExportOnnx(Path.Combine(onnxDir, "date_decoder_step.onnx"));
    Console.WriteLine($"exported_onnx={onnxDir}/date_encoder.onnx (human -> encoder_outputs, h, c) and {onnxDir}/date_decoder_step.onnx (previous_id [N, 1], h, c, encoder_outputs -> logits [N, 1, {DateTranslationModel.OutVocab}], h, c)");
}

int[][] GreedyDecode(Tensor x) => DateTranslationModel.GreedyDecode((h, d) => model.Predict([h, d], batchSize: 500).ToArray(), x);

(double Exact, double Chars) GreedyAccuracy(Tensor x, List<(string Human, string Iso)> pairs, int showErrors = 0)
{
    var pred = GreedyDecode(x);
    int exact = 0, chars = 0, shown = 0;
    for (int i = 0; i < pairs.Count; i++)
    {
        string s = DateTranslationModel.Text(pred[i]);
        if (s == pairs[i].Iso) exact++;
        else if (shown++ < showErrors) Console.WriteLine($"  miss: {pairs[i].Human,-30} → {s} (expected {pairs[i].Iso})");
        for (int j = 0; j < outLen; j++) if (s[j] == pairs[i].Iso[j]) chars++;
    }
    return ((double)exact / pairs.Count, (double)chars / (pairs.Count * outLen));
}

string Translate(string human) => DateTranslationModel.Text(GreedyDecode(DateTranslationModel.EncodeInputs([(human, "")]))[0]);

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
