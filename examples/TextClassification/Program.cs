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
// Run: dotnet run -c Release --project examples/TextClassification [-- --model cnn|transformer|both --epochs N --seed 1337 --save DIR]
using System.Diagnostics;
using System.Globalization;
using Praxis;
using Praxis.Data;
using Praxis.Layers;
using Praxis.Models;
using static Praxis.Keras;

string which = Arg("--model", "both");
int seed = int.Parse(Arg("--seed", "1337"), CultureInfo.InvariantCulture);
int? epochsArg = Arg("--epochs", "") is { Length: > 0 } e ? int.Parse(e, CultureInfo.InvariantCulture) : null;
string? saveDir = Arg("--save", "") is { Length: > 0 } s ? s : null;

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
    return $"| praxis {name} | {m.Accuracy:F4} | {m.F1:F4} | {m.Precision:F4} | {m.Recall:F4} | {m.Auc:F4} | {m.TN} | {m.FP} | {m.FN} | {m.TP} | {trainSeconds:F1} |";
}

(TextVectorization, Model) BuildCnn()
{
    const int maxFeatures = 20000, embeddingDim = 128, sequenceLength = 500;
    var vectorizer = new TextVectorization(maxTokens: maxFeatures, outputMode: "int", outputSequenceLength: sequenceLength);
    var inputs = Input([sequenceLength], name: "token_ids");
    var x = new Embedding(maxFeatures, embeddingDim).Apply(inputs);
    x = new Dropout(0.5f).Apply(x);
    x = new Conv1D(128, 7, padding: "valid", activation: "relu", strides: 3).Apply(x);
    x = new Conv1D(128, 7, padding: "valid", activation: "relu", strides: 3).Apply(x);
    x = new GlobalMaxPooling1D().Apply(x);
    x = new Dense(128, activation: "relu").Apply(x);
    x = new Dropout(0.5f).Apply(x);
    var predictions = new Dense(1, activation: "sigmoid", name: "predictions").Apply(x);
    return (vectorizer, new Model(inputs, predictions, name: "text_cnn"));
}

(TextVectorization, Model) BuildTransformer()
{
    const int vocabSize = 20000, maxLen = 200, embedDim = 32, numHeads = 2, ffDim = 32;
    var vectorizer = new TextVectorization(maxTokens: vocabSize, outputMode: "int", outputSequenceLength: maxLen);
    var inputs = Input([maxLen], name: "token_ids");
    var tokens = new Embedding(vocabSize, embedDim).Apply(inputs);
    var x = new Add().Apply(tokens, new PositionEmbedding(maxLen).Apply(tokens));
    var attention = new MultiHeadAttention(numHeads, embedDim).Apply(x, x);
    x = new LayerNormalization(epsilon: 1e-6f).Apply(new Add().Apply(x, new Dropout(0.1f).Apply(attention)));
    var ffn = new Dense(embedDim).Apply(new Dense(ffDim, activation: "relu").Apply(x));
    x = new LayerNormalization(epsilon: 1e-6f).Apply(new Add().Apply(x, new Dropout(0.1f).Apply(ffn)));
    x = new GlobalAveragePooling1D().Apply(x);
    x = new Dropout(0.1f).Apply(x);
    x = new Dense(20, activation: "relu").Apply(x);
    x = new Dropout(0.1f).Apply(x);
    var outputs = new Dense(1, activation: "sigmoid").Apply(x);
    return (vectorizer, new Model(inputs, outputs, name: "text_transformer"));
}

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
