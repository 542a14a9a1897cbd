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
// Run: dotnet run -c Release --project examples/DateTranslation [-- --epochs N --train N --seed S]
using System.Diagnostics;
using System.Globalization;
using Praxis;
using Praxis.Data;
using Praxis.Layers;
using Praxis.Losses;
using Praxis.Models;
using Praxis.Optimizers;
using static Praxis.Keras;

int seed = ArgInt("--seed", 42);
int nTrain = ArgInt("--train", 30000), nTest = ArgInt("--test", 2000);
int epochs = ArgInt("--epochs", 4), batchSize = ArgInt("--batch", 64);
const int inLen = 32, outLen = 10;
SetRandomSeed(seed);

// ---- data
var fmt = CultureInfo.InvariantCulture.DateTimeFormat;
Func<DateTime, string>[] formats =
[
    d => $"{d.Day} {fmt.GetMonthName(d.Month)} {d.Year}",                                        // 3 May 1979
    d => $"{d.Day:00} {fmt.GetMonthName(d.Month)} {d.Year}",                                     // 03 May 1979
    d => $"{fmt.GetDayName(d.DayOfWeek)}, {fmt.GetMonthName(d.Month)} {d.Day} {d.Year}".ToLowerInvariant(), // tuesday, june 4 2024
    d => $"{d.Month}/{d.Day}/{d.Year % 100:00}",                                                 // 5/7/91
    d => $"{fmt.GetMonthName(d.Month)} {d.Day}, {d.Year}",                                       // May 3, 1979
    d => $"{fmt.GetAbbreviatedMonthName(d.Month)} {d.Day}, {d.Year}",                            // Jun 4, 2024
    d => $"{d.Day} {fmt.GetAbbreviatedMonthName(d.Month).ToLowerInvariant()} {d.Year}",          // 4 jun 2024
    d => $"{d.Day:00}.{d.Month:00}.{d.Year}",                                                    // 04.06.2024
    d => $"{fmt.GetAbbreviatedDayName(d.DayOfWeek)} {d.Day} {fmt.GetAbbreviatedMonthName(d.Month)} {d.Year}", // Tue 4 Jun 2024
    d => $"{fmt.GetMonthName(d.Month).ToUpperInvariant()} {d.Day}, {d.Year}",                    // JUNE 4, 2024
    d => $"{d.Month:00}/{d.Day:00}/{d.Year}",                                                    // 06/04/2024
    d => $"{d.Day} {fmt.GetMonthName(d.Month).ToLowerInvariant()} {d.Year % 100:00}",            // 4 june 24
];
var first = new DateTime(1950, 1, 1);
int days = (int)(new DateTime(2049, 12, 31) - first).TotalDays + 1;
(string Human, string Iso) Draw(Rng rng)
{
    var d = first.AddDays(rng.NextInt(days));
    return (formats[rng.NextInt(formats.Length)](d), d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
}
var dataRng = new Rng(seed);
var trainPairs = Enumerable.Range(0, nTrain).Select(_ => Draw(dataRng)).ToArray();
var seen = trainPairs.Select(p => p.Human).ToHashSet();
var testPairs = new List<(string Human, string Iso)>();
var testRng = new Rng(seed + 1);
while (testPairs.Count < nTest)
{
    var p = Draw(testRng);
    if (seen.Add(p.Human)) testPairs.Add(p);
}

var inVocab = new CharVocabulary(" ,-./0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", reservePadding: true);
const string outChars = "0123456789-";
int startId = outChars.Length, outVocab = outChars.Length + 1; // ids 0–10 the output characters, 11 the start token
Tensor EncodeInputs(IReadOnlyList<(string Human, string Iso)> pairs)
{
    var t = new Tensor(new Shape(pairs.Count, inLen));
    var s = t.Span;
    for (int i = 0; i < pairs.Count; i++)
    {
        if (pairs[i].Human.Length > inLen) throw new InvalidOperationException($"'{pairs[i].Human}' is longer than {inLen} characters.");
        inVocab.Encode(pairs[i].Human).CopyTo(s.Slice(i * inLen)); // the rest stays 0: padding
    }
    return t;
}
(Tensor DecoderIn, Tensor Target) EncodeOutputs(IReadOnlyList<(string Human, string Iso)> pairs)
{
    var dIn = new Tensor(new Shape(pairs.Count, outLen));
    var tgt = new Tensor(new Shape(pairs.Count, outLen));
    for (int i = 0; i < pairs.Count; i++)
        for (int j = 0; j < outLen; j++)
        {
            tgt[i, j] = outChars.IndexOf(pairs[i].Iso[j]);
            dIn[i, j] = j == 0 ? startId : outChars.IndexOf(pairs[i].Iso[j - 1]); // teacher forcing: the true previous character
        }
    return (dIn, tgt);
}
var xTrain = EncodeInputs(trainPairs);
var (dTrain, yTrain) = EncodeOutputs(trainPairs);
var xTest = EncodeInputs(testPairs);
Console.WriteLine($"{nTrain} training and {nTest} held-out pairs, e.g.:");
foreach (var (h, iso) in trainPairs.Take(8)) Console.WriteLine($"  {h,-30} → {iso}");

// ---- model
int units = ArgInt("--units", 64);
var encIn = Input([inLen], name: "human");
var encEmb = new Embedding(inVocab.Size, 32, maskZero: true, name: "char_embedding").Apply(encIn);
var enc = new Bidirectional(new LSTM(units, returnSequences: true, returnState: true), name: "encoder").ApplyMany(encEmb);
var encSeq = enc[0];                                                    // (B, inLen, 2·units), carries the padding mask
var h0 = new Concatenate(name: "h0").Apply(enc[1], enc[3]);            // forward and backward final h
var c0 = new Concatenate(name: "c0").Apply(enc[2], enc[4]);
var decIn = Input([outLen], name: "previous");
var decEmb = new Embedding(outVocab, 16, name: "iso_embedding").Apply(decIn);
var decSeq = new LSTM(2 * units, returnSequences: true, name: "decoder").ApplyMany(decEmb, h0, c0)[0];
var context = new Attention(name: "attention").Apply(decSeq, encSeq); // query: decoder steps; value: encoder steps
var mixed = new Dense(2 * units, activation: "tanh", name: "attention_mix").Apply(new Concatenate(name: "context_and_state").Apply(context, decSeq));
var logits = new Dense(outVocab, name: "logits").Apply(mixed);
var model = new Model([encIn, decIn], [logits], name: "date_translation");
model.Compile(new Adam(learningRate: 2e-3f) { GlobalClipNorm = 1f }, new SparseCategoricalCrossentropy(fromLogits: true), ["accuracy"]);
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

// Greedy decoding with the training model: the decoder LSTM is causal and each attention query is one position, so
// output j depends only on decoder inputs 0..j. Filling position j+1 with the prediction at j, one pass per output
// character, is therefore exactly step-by-step greedy decoding (and the encoder's masks apply as in training).
int[][] GreedyDecode(Tensor x)
{
    int n = x.Shape[0];
    var dec = Tensor.Full(startId, n, outLen);
    var result = new int[n][];
    for (int i = 0; i < n; i++) result[i] = new int[outLen];
    for (int j = 0; j < outLen; j++)
    {
        var p = model.Predict([x, dec], batchSize: 500);
        var ps = p.Span;
        for (int i = 0; i < n; i++)
        {
            int best = Sampling.Greedy(ps.Slice((i * outLen + j) * outVocab, outVocab));
            result[i][j] = best;
            if (j + 1 < outLen) dec[i, j + 1] = best;
        }
    }
    return result;
}

(double Exact, double Chars) GreedyAccuracy(Tensor x, List<(string Human, string Iso)> pairs, int showErrors = 0)
{
    var pred = GreedyDecode(x);
    int exact = 0, chars = 0, shown = 0;
    for (int i = 0; i < pairs.Count; i++)
    {
        string s = string.Concat(pred[i].Select(id => id < outChars.Length ? outChars[id] : '?'));
        if (s == pairs[i].Iso) exact++;
        else if (shown++ < showErrors) Console.WriteLine($"  miss: {pairs[i].Human,-30} → {s} (expected {pairs[i].Iso})");
        for (int j = 0; j < outLen; j++) if (s[j] == pairs[i].Iso[j]) chars++;
    }
    return ((double)exact / pairs.Count, (double)chars / (pairs.Count * outLen));
}

string Translate(string human)
{
    var pred = GreedyDecode(EncodeInputs([(human, "")]))[0];
    return string.Concat(pred.Select(id => id < outChars.Length ? outChars[id] : '?'));
}

int ArgInt(string name, int fallback)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1]) : fallback;
}
