// CharGpt: a nanoGPT-style character-level GPT on Moby-Dick, built from Keras-style layers.
//
// The model and training mirror the PyTorch twin (../../../shared/bench/pytorch/chargpt.py, nanoGPT's documented CPU
// configuration): token + learned position embeddings, 4 pre-LayerNorm blocks of causal self-attention (4 heads of
// 32) and a GELU MLP (128 → 512 → 128), a final LayerNorm, and a head tied to the token embedding; no biases anywhere
// (LayerNorm ε 1e-5, no β); every kernel N(0, 0.02), the residual projections N(0, 0.02/√(2·layers)).
// AdamW (β 0.9/0.99, weight decay 0.1 on rank ≥ 2 weights only), global-norm clipping at 1, learning rate warmed up
// linearly over 100 steps to 1e-3 then cosine-decayed to 1e-4 at step 2,000; batches of 12 windows of 64 characters at
// uniformly random offsets of the first 90% of the text; validation on the last 10%.
//
// Run: dotnet run -c Release --project examples/CharGpt [-- --iters 2000 --seed 1337 --threads N --export-onnx chargpt.onnx]
// (--export-onnx writes the trained model as ONNX: ids [N, 64] → logits [N, 64, vocab]; the same window sampling works over it.)
// (--threads sets the kernel pool's size, like torch.set_num_threads; by default every core.)
using System.Diagnostics;
using Praxis;
using Praxis.Data;
using Praxis.Examples;
using Praxis.Initializers;
using Praxis.Layers;
using Praxis.Losses;
using Praxis.Models;
using Praxis.Optimizers;
using static Praxis.Keras;

int iters = ArgInt("--iters", 2000);
int seed = ArgInt("--seed", 1337);
int evalInterval = ArgInt("--eval-interval", 250), evalIters = ArgInt("--eval-iters", 20);
int finalValBatches = ArgInt("--final-val-batches", 200);
int sampleChars = ArgInt("--sample-chars", 300);
if (ArgInt("--threads", 0) is > 0 and int threads) Praxis.Kernels.KernelPool.NumThreads = threads;
const int nLayer = 4, nHead = 4, nEmbd = 128, blockSize = 64, batchSize = 12;
SetRandomSeed(seed);

// ---- data: the whole book, a character vocabulary, first 90% train / last 10% validation
string text = TextCorpus.MobyDick();
var vocab = new CharVocabulary(text);
float[] data = vocab.Encode(text);
int nTrain = (int)(0.9 * data.Length);
float[] train = data[..nTrain], val = data[nTrain..];
Console.WriteLine($"chars={text.Length} vocab_size={vocab.Size} train_chars={train.Length} val_chars={val.Length}");
Console.WriteLine($"unigram_val_entropy={UnigramCrossEntropy(train, val, vocab.Size):F4} (nats/char of the validation text under training-text character frequencies)");

// ---- model
var model = CharGptModel.Build(vocab.Size, nLayer, nHead, nEmbd, blockSize);
Console.WriteLine($"params={model.CountParams()}");

var optimizer = new AdamW(learningRate: 1e-3f, weightDecay: 0.1f, beta1: 0.9f, beta2: 0.99f, epsilon: 1e-8f)
{
    GlobalClipNorm = 1f,
    Schedule = new CosineDecay(1e-3 / 101, decaySteps: 2000 - 100, alpha: 0.1, warmupTarget: 1e-3, warmupSteps: 100),
};
optimizer.ExcludeFromWeightDecay(varNames: ["gamma"]); // nanoGPT decays only rank ≥ 2 weights
model.Compile(optimizer, new SparseCategoricalCrossentropy(fromLogits: true));

// ---- training
var xb = new Tensor(new Shape(batchSize, blockSize));
var yb = new Tensor(new Shape(batchSize, blockSize));
var trainRng = new Rng(seed);
var evalRng = new Rng(seed + 1_000_000);
double trainSeconds = 0, evalSeconds = 0;
var wall = Stopwatch.StartNew();
var clock = new Stopwatch();
for (int it = 0; it <= iters; it++)
{
    if (it % evalInterval == 0 || it == iters)
    {
        var te = Stopwatch.StartNew();
        double lt = EstimateLoss(train, evalIters, evalRng), lv = EstimateLoss(val, evalIters, evalRng);
        evalSeconds += te.Elapsed.TotalSeconds;
        Console.WriteLine($"iter {it}: train_loss={lt:F4} val_loss={lv:F4} train_s={trainSeconds:F1} elapsed_s={wall.Elapsed.TotalSeconds:F1}");
    }
    if (it == iters) break;
    clock.Restart();
    GetBatch(train, trainRng);
    var logs = model.TrainOnBatch(xb, yb);
    trainSeconds += clock.Elapsed.TotalSeconds;
    if (it % 100 == 0) Console.WriteLine($"  it {it}: loss={logs["loss"]:F4} lr={optimizer.Schedule!(it):E2}");
}
double tokensPerSecond = (double)iters * batchSize * blockSize / trainSeconds;
var tf = Stopwatch.StartNew();
double finalVal = EstimateLoss(val, finalValBatches, new Rng(4242));
Console.WriteLine($"seed={seed}");
Console.WriteLine($"chargpt_val_loss={finalVal:F4}");
Console.WriteLine($"chargpt_train_s={trainSeconds:F2}");
Console.WriteLine($"chargpt_tokens_per_s={tokensPerSecond:F0}");
Console.WriteLine($"periodic_eval_s={evalSeconds:F2} loop_wall_s={wall.Elapsed.TotalSeconds:F2} final_eval_s={tf.Elapsed.TotalSeconds:F2} ({finalValBatches} val batches)");

// ---- sampling: 300 characters after a newline, temperature 0.8, no top-k (the twin's settings)
var sampleRng = new Rng(seed);
var context = new List<int> { vocab['\n'] };
var window = new Tensor(new Shape(1, blockSize));
for (int i = 0; i < sampleChars; i++)
{
    // The model is causal, so a short context can sit at the start of a zero-padded window: position p only sees ≤ p.
    int start = Math.Max(0, context.Count - blockSize), len = context.Count - start;
    var w = window.Span;
    w.Clear();
    for (int j = 0; j < len; j++) w[j] = context[start + j];
    var outLogits = model.Predict(window, batchSize: 1);
    context.Add(Sampling.Sample(outLogits.Span.Slice((len - 1) * vocab.Size, vocab.Size), temperature: 0.8f, rng: sampleRng));
}
Console.WriteLine($"----- sample ({sampleChars} chars after a newline prompt, temperature 0.8, top_k None) -----");
Console.WriteLine(vocab.Decode(context.Skip(1)));
Console.WriteLine("----- end sample -----");
if (ArgString("--export-onnx") is { } onnxPath)
{
    model.ExportOnnx(onnxPath);
    Console.WriteLine($"exported_onnx={onnxPath} bytes={new FileInfo(onnxPath).Length} (ids [N, {blockSize}] -> logits [N, {blockSize}, {vocab.Size}])");
}
Console.WriteLine($"peak_rss_mib={Process.GetCurrentProcess().PeakWorkingSet64 / (1024.0 * 1024):F1}");

// Random windows as nanoGPT's get_batch: offsets uniform in [0, len − block).
void GetBatch(float[] split, Rng rng)
{
    var xs = xb.Span; var ys = yb.Span;
    for (int b = 0; b < batchSize; b++)
    {
        int ix = rng.NextInt(split.Length - blockSize);
        split.AsSpan(ix, blockSize).CopyTo(xs.Slice(b * blockSize, blockSize));
        split.AsSpan(ix + 1, blockSize).CopyTo(ys.Slice(b * blockSize, blockSize));
    }
}

double EstimateLoss(float[] split, int batches, Rng rng)
{
    double sum = 0;
    for (int k = 0; k < batches; k++)
    {
        GetBatch(split, rng);
        sum += model.TestOnBatch(xb, yb)["loss"];
    }
    return sum / batches;
}

static double UnigramCrossEntropy(float[] train, float[] val, int v)
{
    var counts = new double[v]; var valCounts = new double[v];
    foreach (float c in train) counts[(int)c]++;
    foreach (float c in val) valCounts[(int)c]++;
    double h = 0;
    for (int i = 0; i < v; i++)
        if (valCounts[i] > 0) h -= valCounts[i] * Math.Log(counts[i] / train.Length);
    return h / val.Length;
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
