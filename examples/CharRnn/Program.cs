// CharRnn: Karpathy's char-rnn in Keras-style Praxis. An LSTM character language model trained on random windows of
// Moby-Dick (first 90% of the text; validation on the last 10%), printing samples as it trains. Generation runs the
// same layers step by step through an inference model that feeds the LSTM's final states back in
// (return_state / initial states), so each new character costs one step, not a whole window.
//
// --corpus names: a makemore-style variant on 8,403 first names, joined into one stream with '.' between names
// (90% of the names train, 10% validate); samples are new names.
//
// Run: dotnet run -c Release --project examples/CharRnn [-- --corpus moby|names --iters N --seed S --export-onnx DIR]
// (--export-onnx writes DIR/char_rnn.onnx, the window model, and DIR/char_rnn_step.onnx, the one-step generator:
// step_id [N, 1], h_in, c_in [N, units] → logits [N, 1, vocab], h, c.)
using System.Diagnostics;
using Praxis;
using Praxis.Data;
using Praxis.Examples;
using Praxis.Layers;
using Praxis.Losses;
using Praxis.Models;
using Praxis.Optimizers;
using static Praxis.Keras;

string corpus = ArgString("--corpus", "moby");
bool names = corpus == "names";
if (!names && corpus != "moby") throw new ArgumentException($"--corpus must be moby or names; got {corpus}.");
int seed = ArgInt("--seed", 1337);
int iters = ArgInt("--iters", names ? 3000 : 3000);
int seqLen = ArgInt("--seq-len", names ? 16 : 64);
int batchSize = ArgInt("--batch", 32);
int units = ArgInt("--units", names ? 128 : 256);
int embedDim = ArgInt("--embed", names ? 32 : 64);
int sampleEvery = ArgInt("--sample-every", 500);
int valBatches = ArgInt("--val-batches", 100);
SetRandomSeed(seed);

// ---- data: one character stream, split 90/10
string trainText, valText;
HashSet<string> trainNames = new();
if (names)
{
    var all = TextCorpus.FirstNames();
    var order = Enumerable.Range(0, all.Length).ToArray();
    new Rng(seed).Shuffle(order);
    int nTrain = (int)(0.9 * all.Length);
    var tr = order[..nTrain].Select(i => all[i]).ToArray();
    trainNames = tr.ToHashSet();
    trainText = "." + string.Join(".", tr) + ".";
    valText = "." + string.Join(".", order[nTrain..].Select(i => all[i])) + ".";
}
else
{
    string text = TextCorpus.MobyDick();
    int n = (int)(0.9 * text.Length);
    (trainText, valText) = (text[..n], text[n..]);
}
var vocab = new CharVocabulary(trainText + valText);
float[] train = vocab.Encode(trainText), val = vocab.Encode(valText);
double unigram = UnigramCrossEntropy(train, val, vocab.Size);
Console.WriteLine($"corpus={corpus} vocab_size={vocab.Size} train_chars={train.Length} val_chars={val.Length}");
Console.WriteLine($"unigram_val_entropy={unigram:F4} nats/char");

// ---- model: Embedding → LSTM → Dense logits, shared by the training model and the one-step generation model
var (model, generator) = CharRnnModel.Build(vocab.Size, seqLen, units, embedDim);
var optimizer = new Adam(learningRate: 2e-3f) { GlobalClipNorm = 5f, Schedule = new CosineDecay(2e-3, iters, alpha: 0.1) };
model.Compile(optimizer, new SparseCategoricalCrossentropy(fromLogits: true));
model.Summary();

// ---- training on random windows
var xb = new Tensor(new Shape(batchSize, seqLen));
var yb = new Tensor(new Shape(batchSize, seqLen));
var trainRng = new Rng(seed);
var clock = Stopwatch.StartNew();
double trainSeconds = 0;
for (int it = 1; it <= iters; it++)
{
    long t0 = Stopwatch.GetTimestamp();
    GetBatch(train, trainRng);
    var logs = model.TrainOnBatch(xb, yb);
    trainSeconds += Stopwatch.GetElapsedTime(t0).TotalSeconds;
    if (it % 100 == 0) Console.WriteLine($"it {it}: loss={logs["loss"]:F4} lr={optimizer.Schedule!(it - 1):E2} train_s={trainSeconds:F1}");
    if (it % sampleEvery == 0 || it == iters)
    {
        Console.WriteLine($"--- it {it}: val_loss={Validate():F4} (unigram {unigram:F4}); sample:");
        Console.WriteLine(names ? string.Join(", ", Enumerable.Range(0, 12).Select(_ => SampleName(new Rng(seed + it + _)))) : Sample(300, new Rng(seed + it)));
        Console.WriteLine("---");
    }
}
double finalVal = Validate();
Console.WriteLine($"char_rnn_val_loss={finalVal:F4} unigram_val_entropy={unigram:F4} margin={unigram - finalVal:F4} nats/char");
Console.WriteLine($"char_rnn_train_s={trainSeconds:F2} tokens_per_s={(double)iters * batchSize * seqLen / trainSeconds:F0} wall_s={clock.Elapsed.TotalSeconds:F1}");
if (names)
{
    var sampled = Enumerable.Range(0, 200).Select(i => SampleName(new Rng(10_000 + i))).ToArray();
    int novel = sampled.Count(s => s.Length > 0 && !trainNames.Contains(s));
    Console.WriteLine($"200 sampled names: {novel} not in the training names; e.g. {string.Join(", ", sampled.Take(20))}");
}
else Console.WriteLine("final sample:\n" + Sample(500, new Rng(seed)));

if (ArgString("--export-onnx", "") is { Length: > 0 } onnxDir)
{
    Directory.CreateDirectory(onnxDir);
    model.ExportOnnx(Path.Combine(onnxDir, "char_rnn.onnx"));
    generator.ExportOnnx(Path.Combine(onnxDir, "char_rnn_step.onnx"));
    Console.WriteLine($"exported_onnx={onnxDir}/char_rnn.onnx and {onnxDir}/char_rnn_step.onnx");
}

void GetBatch(float[] split, Rng rng)
{
    var xs = xb.Span; var ys = yb.Span;
    for (int b = 0; b < batchSize; b++)
    {
        int ix = rng.NextInt(split.Length - seqLen);
        split.AsSpan(ix, seqLen).CopyTo(xs.Slice(b * seqLen, seqLen));
        split.AsSpan(ix + 1, seqLen).CopyTo(ys.Slice(b * seqLen, seqLen));
    }
}

// Mean loss over the same fixed validation windows every time.
double Validate()
{
    var rng = new Rng(4242);
    double sum = 0;
    for (int k = 0; k < valBatches; k++)
    {
        GetBatch(val, rng);
        sum += model.TestOnBatch(xb, yb)["loss"];
    }
    return sum / valBatches;
}

// One step at a time: feed a character and the states, get logits and the next states.
IEnumerable<int> Generate(int first, Rng rng, int max, Func<int, bool>? stop = null)
{
    var x = new Tensor(new Shape(1, 1));
    var h = new Tensor(new Shape(1, units));
    var c = new Tensor(new Shape(1, units));
    x.Span[0] = first;
    for (int i = 0; i < max; i++)
    {
        var outs = generator.PredictMany([x, h, c], batchSize: 1);
        int next = Sampling.Sample(outs[0].Span, temperature: names ? 1f : 0.8f, rng: rng);
        if (stop?.Invoke(next) == true) yield break;
        yield return next;
        x.Span[0] = next;
        h = outs[1];
        c = outs[2];
    }
}

string Sample(int length, Rng rng) => vocab.Decode(Generate(vocab['\n'], rng, length));

string SampleName(Rng rng) => vocab.Decode(Generate(vocab['.'], rng, 30, id => id == vocab['.']));

static double UnigramCrossEntropy(float[] train, float[] val, int v)
{
    var counts = new double[v]; var valCounts = new double[v];
    foreach (float c in train) counts[(int)c]++;
    foreach (float c in val) valCounts[(int)c]++;
    double h = 0;
    for (int i = 0; i < v; i++)
        if (valCounts[i] > 0) h -= valCounts[i] * Math.Log(Math.Max(counts[i], 0.5) / train.Length);
    return h / val.Length;
}

int ArgInt(string name, int fallback)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1]) : fallback;
}

string ArgString(string name, string fallback)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
}
