// TextClassification: keras.io's "Text classification from scratch" (François Chollet) on the SpamAssassin public
// corpus instead of IMDB, plus a small transformer encoder, side by side with the TF-IDF + logistic-regression
// baseline of bench/text-baseline/tfidf_logreg.py on the same split.
//
// Data: data/spam-assassin (6,046 raw messages, headers included; 1 = spam), split 80/20 by SpamAssassin.Split(seed 42).
// CNN (as keras.io): TextVectorization(max_tokens 20000, output_sequence_length 500) → Embedding(20000, 128) →
//   Dropout 0.5 → Conv1D(128, 7, strides 3, relu) ×2 → GlobalMaxPooling1D → Dense(128, relu) → Dropout 0.5 →
//   Dense(1, sigmoid); Adam, binary cross-entropy, 3 epochs of batches of 32.
// Transformer (as keras.io's "Text classification with Transformer"): TextVectorization(20000, 200) → token +
//   position embeddings (32) → one encoder block (MultiHeadAttention 2 heads × 32, residual, LayerNorm ε 1e-6,
//   Dense 32 relu → Dense 32, residual, LayerNorm) → GlobalAveragePooling1D → Dropout 0.1 → Dense(20, relu) →
//   Dropout 0.1 → Dense(1, sigmoid); Adam, 2 epochs of 32.
// The vectorizer is adapted on the training texts only and set as the model's StringInput, so the saved model
// predicts on raw text (model.Predict(string[])).
//
// Run: dotnet run -c Release --project examples/TextClassification [-- --model cnn|transformer|both --epochs N --seed 1337 --save DIR --export-onnx DIR]
// ONNX (--export-onnx DIR writes DIR/cnn.onnx, DIR/transformer.onnx) is the documented split: the TextVectorization
// (standardize, split, vocabulary lookup) runs in C# (vectorizer.Apply(texts) → token ids), the model from its output
// on runs in ONNX. (ONNX string ops, StringNormalizer and ai.onnx.ml's LabelEncoder, were not used: Keras'
// punctuation stripping and Praxis' vocabulary order would have to be matched exactly, and nothing checks that yet.)
using System.Diagnostics;
using System.Globalization;
using Praxis;
using Praxis.Data;
using Praxis.Examples;
using Praxis.Layers;
using Praxis.Models;
using static Praxis.Keras;

string which = Arg("--model", "both");
int seed = int.Parse(Arg("--seed", "1337"), CultureInfo.InvariantCulture);
int? epochsArg = Arg("--epochs", "") is { Length: > 0 } e ? int.Parse(e, CultureInfo.InvariantCulture) : null;
string? saveDir = Arg("--save", "") is { Length: > 0 } s ? s : null;
string? onnxDir = Arg("--export-onnx", "") is { Length: > 0 } o ? o : null;

var all = SpamAssassin.Load();
var (train, test) = SpamAssassin.Split(all, seed: 42, testFraction: 0.2);
string[] trainText = train.Select(m => m.Text).ToArray(), testText = test.Select(m => m.Text).ToArray();
var yTrain = Tensor.FromArray(train.Select(m => m.Label).ToArray(), train.Count, 1);
float[] yTest = test.Select(m => m.Label).ToArray();
Console.WriteLine($"messages={all.Count} train={train.Count} (spam {train.Count(m => m.IsSpam)}) test={test.Count} (spam {test.Count(m => m.IsSpam)})");

var results = new List<string>();
if (which is "cnn" or "both") results.Add(Run("cnn", epochsArg ?? 3, BuildCnn));
if (which is "transformer" or "both") results.Add(Run("transformer", epochsArg ?? 2, BuildTransformer));
Console.WriteLine();
Console.WriteLine("| model | accuracy | F1 | precision | recall | AUC | TN | FP | FN | TP | train s |");
Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|");
foreach (var r in results) Console.WriteLine(r);

string Run(string name, int epochs, Func<(TextVectorization, Model)> build)
{
    ClearSession();
    SetRandomSeed(seed);
    var clock = Stopwatch.StartNew();
    var (vectorizer, model) = build();
    vectorizer.Adapt(trainText);
    var xTrain = vectorizer.Apply(trainText);
    model.Compile("adam", "binary_crossentropy", ["accuracy"]);
    if (name == "cnn") model.Summary();
    model.Fit(xTrain, yTrain, epochs: epochs, batchSize: 32, verbose: 1);
    double trainSeconds = clock.Elapsed.TotalSeconds; // vectorizer adaptation included, as the baseline's fit_transform
    model.StringInput = vectorizer;
    float[] p = model.Predict(testText).ToArray();
    var m = BinaryMetrics.Compute(yTest, p);
    Console.WriteLine($"{name}: {m} train_seconds={trainSeconds:F1}");
    if (saveDir != null)
    {
        Directory.CreateDirectory(saveDir);
        model.Save(Path.Combine(saveDir, name + ".praxis"));
    }
    if (onnxDir != null)
    {
        // The documented split: TextVectorization (strings) stays in C#; the ONNX model reads its token ids.
        Directory.CreateDirectory(onnxDir);
        string path = Path.Combine(onnxDir, name + ".onnx");
        model.ExportOnnx(path);
        Console.WriteLine($"{name}: exported {path} (input token_ids [N, {vectorizer.OutputSequenceLength}] from vectorizer.Apply(texts) in C#)");
    }
    return $"| praxis {name} | {m.Accuracy:F4} | {m.F1:F4} | {m.Precision:F4} | {m.Recall:F4} | {m.Auc:F4} | {m.TN} | {m.FP} | {m.FN} | {m.TP} | {trainSeconds:F1} |";
}

(TextVectorization, Model) BuildCnn() => TextClassificationModels.Cnn();

(TextVectorization, Model) BuildTransformer() => TextClassificationModels.Transformer();

static string Arg(string name, string fallback)
{
    var a = Environment.GetCommandLineArgs();
    int i = Array.IndexOf(a, name);
    return i >= 0 && i + 1 < a.Length ? a[i + 1] : fallback;
}

/// <summary>Binary classification metrics at threshold 0.5, and ROC AUC from ranks (ties averaged, as scikit-learn).</summary>
internal sealed record BinaryMetrics(double Accuracy, double Precision, double Recall, double F1, double Auc, int TN, int FP, int FN, int TP)
{
    public static BinaryMetrics Compute(float[] y, float[] p)
    {
        int tn = 0, fp = 0, fn = 0, tp = 0;
        for (int i = 0; i < y.Length; i++)
        {
            bool pos = p[i] >= 0.5f, truth = y[i] >= 0.5f;
            if (pos && truth) tp++; else if (pos) fp++; else if (truth) fn++; else tn++;
        }
        double precision = tp + fp == 0 ? 0 : (double)tp / (tp + fp), recall = tp + fn == 0 ? 0 : (double)tp / (tp + fn);
        double f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
        // AUC = (Σ ranks of positives − n₊(n₊+1)/2) / (n₊·n₋), the Mann-Whitney form, with average ranks for ties.
        var order = Enumerable.Range(0, y.Length).OrderBy(i => p[i]).ToArray();
        var rank = new double[y.Length];
        for (int i = 0; i < order.Length;)
        {
            int j = i;
            while (j + 1 < order.Length && p[order[j + 1]] == p[order[i]]) j++;
            for (int k = i; k <= j; k++) rank[order[k]] = (i + j) / 2.0 + 1;
            i = j + 1;
        }
        double nPos = tp + fn, nNeg = tn + fp, sum = 0;
        for (int i = 0; i < y.Length; i++) if (y[i] >= 0.5f) sum += rank[i];
        double auc = (sum - nPos * (nPos + 1) / 2) / (nPos * nNeg);
        return new BinaryMetrics((double)(tp + tn) / y.Length, precision, recall, f1, auc, tn, fp, fn, tp);
    }

    public override string ToString() =>
        $"accuracy={Accuracy:F4} f1={F1:F4} precision={Precision:F4} recall={Recall:F4} auc={Auc:F4} confusion=[[{TN}, {FP}], [{FN}, {TP}]]";
}
