// Gpt2: load a GPT-2 checkpoint in Hugging Face's layout, generate, fine-tune on Moby-Dick, generate again.
//
// By default the tiny random GPT-2 in data/gpt2-tiny (2 layers of 16 features, GPT-2's real 50,257-token vocabulary;
// its text is gibberish until fine-tuned, and still poor after, but every step is the real path). For the real 124M
// model, download https://huggingface.co/gpt2 (config.json + model.safetensors) and pass --model DIR, or
// --pretrained gpt2 to fetch it into the cache (needs the network).
//
// Run: dotnet run -c Release --project examples/Gpt2 [-- --model DIR | --pretrained gpt2] [--steps 300] [--block 32]
//      [--batch 8] [--lr 3e-3] [--prompt "Call me Ishmael."] [--new 40] [--temperature 0.8] [--top-k 40] [--top-p 0.95]
//      [--seed 1337] [--save out.praxis] [--export DIR]
using System.Diagnostics;
using Praxis;
using Praxis.Data;
using Praxis.Losses;
using Praxis.Models.Gpt2;
using Praxis.Optimizers;
using Praxis.Tokenizers;

string? modelDir = Arg("--model", null);
string? pretrained = Arg("--pretrained", null);
int steps = int.Parse(Arg("--steps", "300")!), batch = int.Parse(Arg("--batch", "8")!), seed = int.Parse(Arg("--seed", "1337")!);
int newTokens = int.Parse(Arg("--new", "40")!);
float lr = float.Parse(Arg("--lr", "3e-3")!, System.Globalization.CultureInfo.InvariantCulture);
string prompt = Arg("--prompt", "Call me Ishmael.")!;
var sampling = new GenerationOptions
{
    MaxNewTokens = newTokens,
    Temperature = float.Parse(Arg("--temperature", "0.8")!, System.Globalization.CultureInfo.InvariantCulture),
    TopK = int.Parse(Arg("--top-k", "40")!),
    TopP = float.Parse(Arg("--top-p", "0.95")!, System.Globalization.CultureInfo.InvariantCulture),
    Seed = seed,
};
Rng.SetSeed(seed);

// ---- load
var clock = Stopwatch.StartNew();
var gpt = pretrained is not null ? Gpt2.FromPretrained(pretrained) : Gpt2.FromHuggingFace(modelDir ?? FindTiny());
Console.WriteLine($"loaded {(pretrained ?? modelDir ?? "data/gpt2-tiny")}: {gpt.Config} params={gpt.Model.CountParams()} in {clock.Elapsed.TotalSeconds:F2}s");
int block = int.Parse(Arg("--block", Math.Min(64, gpt.Config.NPositions / 2).ToString())!);
var tok = Gpt2Tokenizer.Instance;
int[] promptIds = tok.Encode(prompt);
Generate("before fine-tuning");

// ---- fine-tune: random windows of the first 90% of the book, AdamW with no decay on LayerNorm and biases
string book = TextCorpus.MobyDick();
clock.Restart();
int[] ids = tok.Encode(book);
int nTrain = (int)(0.9 * ids.Length);
Console.WriteLine($"Moby-Dick: {book.Length} chars -> {ids.Length} tokens in {clock.Elapsed.TotalSeconds:F2}s; train {nTrain}, validation {ids.Length - nTrain}");
var optimizer = new AdamW(learningRate: lr, weightDecay: 0.01f) { GlobalClipNorm = 1f };
optimizer.ExcludeFromWeightDecay(varNames: ["gamma", "beta", "bias"]);
gpt.Model.Compile(optimizer, new SparseCategoricalCrossentropy(fromLogits: true));
var xb = new Tensor(new Shape(batch, block));
var yb = new Tensor(new Shape(batch, block));
var rng = new Rng(seed);
Console.WriteLine($"validation loss before: {Validation():F4}");
clock.Restart();
for (int step = 1; step <= steps; step++)
{
    Batch(0, nTrain, rng);
    var logs = gpt.Model.TrainOnBatch(xb, yb);
    if (step % 25 == 0 || step == 1) Console.WriteLine($"  step {step}: loss={logs["loss"]:F4} ({step * batch * block / clock.Elapsed.TotalSeconds:F0} tokens/s)");
}
Console.WriteLine($"validation loss after {steps} steps: {Validation():F4} (train {clock.Elapsed.TotalSeconds:F1}s)");
Generate("after fine-tuning");

if (Arg("--save", null) is string save) { gpt.Save(save); Console.WriteLine($"saved {save}"); }
if (Arg("--export", null) is string export) { gpt.ExportHuggingFace(export); Console.WriteLine($"exported {export} (config.json + model.safetensors, HF layout)"); }

void Generate(string when)
{
    var r = gpt.Generate(promptIds, sampling);
    Console.WriteLine($"----- {when}: {r.Tokens.Length} tokens, {r.TokensPerSecond:F1} tokens/s (temperature {sampling.Temperature}, top_k {sampling.TopK}, top_p {sampling.TopP}, seed {seed})");
    Console.WriteLine(tok.Decode([.. promptIds, .. r.Tokens]));
    Console.WriteLine("-----");
}

void Batch(int start, int end, Rng r)
{
    var xs = xb.Span; var ys = yb.Span;
    for (int b = 0; b < batch; b++)
    {
        int at = start + r.NextInt(end - start - block - 1);
        for (int t = 0; t < block; t++) { xs[b * block + t] = ids[at + t]; ys[b * block + t] = ids[at + t + 1]; }
    }
}

double Validation()
{
    var r = new Rng(4242);
    double sum = 0;
    const int batches = 10;
    for (int i = 0; i < batches; i++) { Batch(nTrain, ids.Length, r); sum += gpt.Model.TestOnBatch(xb, yb)["loss"]; }
    return sum / batches;
}

static string FindTiny()
{
    foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
        for (var d = new DirectoryInfo(start); d != null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "data", "gpt2-tiny", "model.safetensors"))) return Path.Combine(d.FullName, "data", "gpt2-tiny");
    throw new FileNotFoundException("data/gpt2-tiny was not found above the program or the working directory; pass --model DIR.");
}

string? Arg(string name, string? fallback)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
}
