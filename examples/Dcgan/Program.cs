// A DCGAN that draws MNIST digits, trained with the PyTorch-style custom loop (ZeroGrad / Backward / Step) over
// Praxis' public API, with the generator of the TensorFlow "dcgan" tutorial and a two-convolution discriminator:
//
//   generator:     z (100) -> Dense(7·7·256, no bias) -> BN -> LeakyReLU(0.2) -> Reshape(7, 7, 256)
//                  -> Conv2DTranspose(128, 5, strides 1, same, no bias) -> BN -> LeakyReLU(0.2)      (7×7)
//                  -> Conv2DTranspose(64, 5, strides 2, same, no bias) -> BN -> LeakyReLU(0.2)       (14×14)
//                  -> Conv2DTranspose(1, 5, strides 2, same, tanh)                   => (28, 28, 1) in [-1, 1]
//   discriminator: Conv2D(64, 4, s2, same) -> LeakyReLU(0.2) -> Conv2D(128, 4, s2, same) -> LeakyReLU(0.2)
//                  -> Flatten -> Dense(1)                                                  (a logit)
//   Adam(β₁ 0.5): generator lr 2e-4, discriminator lr 4e-4; BinaryCrossentropy(fromLogits: true); batch 64;
//   MNIST scaled to [-1, 1] to match tanh.
//
// Tuning (bench/RESULTS.md, "DCGAN (issue 8)"): with Dropout(0.3) after each LeakyReLU of the discriminator (the
// TensorFlow tutorial's choice, --d-dropout 0.3) and lr 2e-4 for both, the discriminator stayed near chance and the
// digits plateaued; without dropout and with a 2× discriminator learning rate (the two-time-scale rule) they are
// sharper. A smaller generator (--g-arch small: Dense(7·7·64) -> Conv2DTranspose(32, 4, s2) -> Conv2DTranspose(1, 4,
// s2), 1/25 of the compute) plateaus at about 57 % of digits judged >= 0.9 confident; the tutorial's, with its
// stride-1 stage and 5×5 kernels, draws thinner, cleaner strokes (70.6 % after 20 epochs with --d-width 32, 74.1 % with
// the default 64). --g-arch, --g-width, --d-width, --d-dropout, --g-lr, --d-lr change these.
//
// Each step: the discriminator learns real -> 1 and G(z).Detach() -> 0; then, with the discriminator frozen
// (Trainable = false, so backward computes no gradients for its weights), the generator learns to make D(G(z)) -> 1
// through the same G(z). (A Keras-style variant compiles a "combined" model D(G(z)) with D frozen and calls
// combined.TrainOnBatch(z, ones) and D.TrainOnBatch(x, labels); this loop is the same arithmetic, written out.)
//
// After each epoch it writes samples/epoch_NNN.png (8×8 samples from one fixed latent batch) and scores 1,000 samples
// from another fixed latent batch with an MNIST classifier (Keras' simple MNIST convnet, as examples/MnistCnn, trained
// here for 12 epochs on the real training set, or loaded from --classifier if that file exists): mean top-class
// confidence, the fraction with confidence >= 0.9, the number of classes present and the class histogram. Two extra lines score the same latents
// from an exponential moving average of the generator's weights and at temperature 0.7 (z × 0.7).
//
// Run:  dotnet run -c Release --project examples/Dcgan -- [--epochs 20] [--seed 42] [--batch 64] [--out dcgan-out]
//       [--classifier dcgan-out/classifier.safetensors] [--classifier-epochs 12] [--threads N] [--limit N (first N images)]
//       [--export-onnx generator.onnx] [--eager (rebuild the graph every step instead of replaying it)] [--lr-decay-from E (linear decay after epoch E)]
using System.Diagnostics;
using System.Globalization;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using Praxis;
using Praxis.Autograd;
using Praxis.Data;
using Praxis.Examples;
using Praxis.IO;
using Praxis.Layers;
using Praxis.Losses;
using Praxis.Models;
using Praxis.Optimizers;
using static Praxis.Keras;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
int epochs = ArgInt("--epochs", 20);
int seed = ArgInt("--seed", 42);
int batch = ArgInt("--batch", 64);
int dWidth = ArgInt("--d-width", 64); // discriminator filters at 14×14 (doubled at 7×7)
float gLr = float.Parse(Arg("--g-lr", "2e-4"), CultureInfo.InvariantCulture);
float dLr = float.Parse(Arg("--d-lr", "4e-4"), CultureInfo.InvariantCulture);
float dDropout = float.Parse(Arg("--d-dropout", "0"), CultureInfo.InvariantCulture);
int limit = ArgInt("--limit", 0);
int decayFrom = ArgInt("--lr-decay-from", 0); // > 0: after this epoch both learning rates fall linearly towards 0
int classifierEpochs = ArgInt("--classifier-epochs", 12);
string gArch = Arg("--g-arch", "tf"); // tf: the generator above; small: the smaller one described above
if (gArch is not ("tf" or "small")) throw new ArgumentException($"--g-arch must be 'tf' or 'small'; got '{gArch}'.");
int width = ArgInt("--g-width", gArch == "tf" ? 256 : 64); // generator channels at 7×7 (then halved at each stage)
string outDir = Arg("--out", "dcgan-out");
string classifierPath = Arg("--classifier", Path.Combine(outDir, "classifier.safetensors"));
if (args.Contains("--threads")) Praxis.Kernels.KernelPool.NumThreads = ArgInt("--threads", Environment.ProcessorCount);
const int LatentDim = DcganModels.LatentDim, EvalSamples = 1000;
Directory.CreateDirectory(Path.Combine(outDir, "samples"));

SetRandomSeed(seed);
var ((xTrain01, yTrain), (xTest01, yTest)) = Mnist.LoadData();
xTrain01 = xTrain01.Reshape(-1, 28, 28, 1);
xTest01 = xTest01.Reshape(-1, 28, 28, 1);
if (limit > 0) { xTrain01 = xTrain01.SliceRows(0, limit); yTrain = yTrain.SliceRows(0, limit); }
int n = xTrain01.Shape[0];
var xTrain = xTrain01 * 2f - 1f; // [0, 1] -> [-1, 1], the range of the generator's tanh
Console.WriteLine($"train={n} batch={batch} epochs={epochs} seed={seed} threads={Praxis.Kernels.KernelPool.NumThreads}");

// ---- the judge: an MNIST classifier (trained once, then reused from disk)
Model classifier;
if (File.Exists(classifierPath))
{
    classifier = Model.Load(classifierPath);
    Console.WriteLine($"classifier: loaded {classifierPath}");
}
else
{
    var sw = Stopwatch.StartNew();
    classifier = new Sequential(
    [
        new InputLayer([28, 28, 1]),
        new Conv2D(32, 3, activation: "relu"),
        new MaxPooling2D(2),
        new Conv2D(64, 3, activation: "relu"),
        new MaxPooling2D(2),
        new Flatten(),
        new Dropout(0.5f),
        new Dense(10, activation: "softmax"),
    ], name: "judge");
    classifier.Compile("adam", "sparse_categorical_crossentropy", ["accuracy"]);
    classifier.Fit(xTrain01, yTrain, epochs: classifierEpochs, batchSize: 128, verbose: 0);
    classifier.Save(classifierPath);
    Console.WriteLine($"classifier: trained {classifierEpochs} epoch(s) in {sw.Elapsed.TotalSeconds:F1} s, saved {classifierPath}");
}
var judged = classifier.Evaluate(xTest01, yTest, batchSize: 500);
Console.WriteLine($"classifier: test_acc={judged["accuracy"]:F4}");
Console.WriteLine($"classifier: on 1,000 real test digits: {Quality(classifier.Predict(xTest01.SliceRows(0, EvalSamples), 250))}");

// ---- the GAN
ClearSession();
var generator = DcganModels.Generator(gArch, width);
var discriminator = DcganModels.Discriminator(dWidth, dDropout);
generator.Summary();
discriminator.Summary();

var optG = new Adam(gLr, beta1: 0.5f);
var optD = new Adam(dLr, beta1: 0.5f);
var gParams = generator.TrainableWeights;

var noise = new Rng(seed + 1);                                                           // the training latents
var gridZ = Tensor.RandomNormal(new Shape(64, LatentDim), rng: new Rng(seed + 2));        // fixed: the 8×8 grids
var evalZ = Tensor.RandomNormal(new Shape(EvalSamples, LatentDim), rng: new Rng(seed + 3)); // fixed: the scoring
var evalZCold = evalZ * 0.7f; // the same latents at a lower temperature (an extra figure: fewer odd samples, less variety)
int steps = n / batch; // full batches only (BatchNormalization and the loss see batch-sized tensors)
int[] order = new int[n];
for (int i = 0; i < n; i++) order[i] = i;
int row = 28 * 28;

// The step (DcganModels.cs) is the loop a PyTorch user writes. By default its graph is captured: each phase is a
// CapturedGraph, which records its forward ops on the first step and replays them over the same tensors after
// (Tape.Replay, then backward over the recorded order), so a step builds and allocates nothing, like Fit. Same
// arithmetic; --eager rebuilds the graph every step instead (about twice as slow here, mostly allocation and GC).
var step = new DcganStep(generator, discriminator, optG, optD, batch, eager: args.Contains("--eager"));
var real = step.Real;
var z = step.Z;

// An exponential moving average of the generator's weights (Yazıcı et al. 2019), sampled beside the live weights.
const float EmaDecay = 0.999f;
var ema = gParams.Select(p => p.ToArray()).ToArray();

double trainTotal = 0;
for (int epoch = 1; epoch <= epochs; epoch++)
{
    Rng.Global.Shuffle(order);
    if (decayFrom > 0 && epoch > decayFrom)
    {
        float f = (float)(epochs - epoch + 1) / (epochs - decayFrom + 1);
        optG.LearningRate = gLr * f;
        optD.LearningRate = dLr * f;
    }
    double dLossSum = 0, gLossSum = 0, dRealSum = 0, dFakeSum = 0;
    var clock = Stopwatch.StartNew();
    for (int s = 0; s < steps; s++)
    {
        var dst = real.Span;
        for (int i = 0; i < batch; i++) xTrain.CopyTo(dst.Slice(i * row, row), order[s * batch + i] * row);
        noise.FillNormal(z.Span, 0f, 1f);

        var (dLoss, gLoss) = step.Run();
        for (int i = 0; i < gParams.Count; i++) TensorPrimitives.Lerp(ema[i], gParams[i].Span, 1f - EmaDecay, ema[i]);

        dLossSum += dLoss;
        gLossSum += gLoss;
        dRealSum += MeanSigmoid(step.RealLogits);
        dFakeSum += MeanSigmoid(step.FakeLogits);
    }
    double seconds = clock.Elapsed.TotalSeconds;
    trainTotal += seconds;

    string png = Path.Combine(outDir, "samples", $"epoch_{epoch:D3}.png");
    Png.SaveGrid(png, generator.Predict(gridZ, 64), columns: 8, low: -1f, high: 1f);
    var probs = classifier.Predict(ToUnit(generator.Predict(evalZ, 250)), 250);
    var probsEma = classifier.Predict(ToUnit(SampleWithEma(evalZ)), 250);
    var probsCold = classifier.Predict(ToUnit(generator.Predict(evalZCold, 250)), 250);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"epoch={epoch} train_s={seconds:F1} d_loss={dLossSum / steps:F4} g_loss={gLossSum / steps:F4} " +
        $"D(real)={dRealSum / steps:F3} D(fake)={dFakeSum / steps:F3} {Quality(probs)} grid={png}"));
    Console.WriteLine($"  ema_weights: {Quality(probsEma)}");
    Console.WriteLine($"  z_times_0.7: {Quality(probsCold)}");
}
Console.WriteLine($"train_total_s={trainTotal:F1} epochs={epochs} s_per_epoch={trainTotal / Math.Max(1, epochs):F1}");
generator.Save(Path.Combine(outDir, "generator.safetensors"));
if (Arg("--export-onnx", "") is { Length: > 0 } onnxPath)
{
    generator.ExportOnnx(onnxPath); // Predict's generator: BatchNormalization with its moving statistics
    Console.WriteLine($"exported_onnx={onnxPath} bytes={new FileInfo(onnxPath).Length} (input [N, {LatentDim}] latents, output [N, 28, 28, 1] in [-1, 1])");
}

// Samples in training mode (BatchNormalization normalizes each batch of 250 by its own statistics) without touching
// the moving statistics or any gradient: the BN op updates them in Forward, so they are saved and put back.
Tensor SampleWithBatchStatistics(Tensor latents)
{
    var state = generator.NonTrainableWeights;
    var saved = state.Select(w => w.ToArray()).ToArray();
    var result = new Tensor(new Shape(latents.Shape[0], 28, 28, 1));
    using (Tensor.NoGrad())
        for (int start = 0; start < latents.Shape[0]; start += 250)
        {
            int count = Math.Min(250, latents.Shape[0] - start);
            generator.Apply(latents.SliceRows(start, count), training: true).Span.CopyTo(result.SliceRows(start, count).Span);
        }
    for (int i = 0; i < state.Count; i++) saved[i].CopyTo(state[i].Span);
    return result;
}

// Samples from the averaged weights: swapped in, sampled with batch statistics (the moving statistics belong to the
// live weights), swapped back.
Tensor SampleWithEma(Tensor latents)
{
    var live = gParams.Select(p => p.ToArray()).ToArray();
    for (int i = 0; i < gParams.Count; i++) ema[i].CopyTo(gParams[i].Span);
    var result = SampleWithBatchStatistics(latents);
    for (int i = 0; i < gParams.Count; i++) live[i].CopyTo(gParams[i].Span);
    return result;
}

string Arg(string name, string fallback)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
}

int ArgInt(string name, int fallback) => int.Parse(Arg(name, fallback.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);

// The discriminator's mean probability that its inputs are real (from its logits).
static double MeanSigmoid(Tensor logits)
{
    double s = 0;
    foreach (float v in logits.Span) s += 1.0 / (1.0 + Math.Exp(-v));
    return s / logits.Size;
}

// Generator output in [-1, 1] -> the classifier's [0, 1].
static Tensor ToUnit(Tensor images) => (images + 1f) * 0.5f;

// Mean top-class confidence, fraction with confidence >= 0.9, classes present and the histogram of top classes.
static string Quality(Tensor probs)
{
    int m = probs.Shape[0], k = probs.Shape[1];
    var p = probs.Span;
    var hist = new int[k];
    double confSum = 0;
    int confident = 0;
    for (int i = 0; i < m; i++)
    {
        int best = 0;
        for (int c = 1; c < k; c++) if (p[i * k + c] > p[i * k + best]) best = c;
        float conf = p[i * k + best];
        confSum += conf;
        if (conf >= 0.9f) confident++;
        hist[best]++;
    }
    int present = hist.Count(h => h > 0);
    return string.Create(CultureInfo.InvariantCulture,
        $"mean_conf={confSum / m:F3} conf>=0.9={(double)confident / m:F3} classes={present} hist=[{string.Join(",", hist)}]");
}
