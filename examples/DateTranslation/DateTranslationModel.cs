using System.Globalization;
using Praxis.Data;
using Praxis.Layers;
using Praxis.Losses;
using Praxis.Models;
using Praxis.Optimizers;
using static Praxis.Keras;

namespace Praxis.Examples;

/// <summary>
/// The date-translation data (seeded human-written dates and their ISO forms), the encoder–decoder with attention,
/// and greedy decoding over any predictor, shared by the example and its ONNX tests.
/// </summary>
public static class DateTranslationModel
{
    /// <summary>Input characters per date (zero-padded at the end) and output characters (yyyy-MM-dd).</summary>
    public const int InLen = 32, OutLen = 10;

    /// <summary>The output characters; id <see cref="StartId"/> (one past them) is the start token.</summary>
    public const string OutChars = "0123456789-";

    /// <summary>The decoder's start token, and the output vocabulary size.</summary>
    public const int StartId = 11, OutVocab = 12;

    /// <summary>The input characters; id 0 is padding.</summary>
    public static CharVocabulary InVocab { get; } = new(" ,-./0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", reservePadding: true);

    private static readonly DateTimeFormatInfo Fmt = CultureInfo.InvariantCulture.DateTimeFormat;

    /// <summary>The 12 ways a date is written (two-digit years map to 1950–2049; slashes US order, dots European).</summary>
    private static readonly Func<DateTime, string>[] Formats =
    [
        d => $"{d.Day} {Fmt.GetMonthName(d.Month)} {d.Year}",                                        // 3 May 1979
        d => $"{d.Day:00} {Fmt.GetMonthName(d.Month)} {d.Year}",                                     // 03 May 1979
        d => $"{Fmt.GetDayName(d.DayOfWeek)}, {Fmt.GetMonthName(d.Month)} {d.Day} {d.Year}".ToLowerInvariant(), // tuesday, june 4 2024
        d => $"{d.Month}/{d.Day}/{d.Year % 100:00}",                                                 // 5/7/91
        d => $"{Fmt.GetMonthName(d.Month)} {d.Day}, {d.Year}",                                       // May 3, 1979
        d => $"{Fmt.GetAbbreviatedMonthName(d.Month)} {d.Day}, {d.Year}",                            // Jun 4, 2024
        d => $"{d.Day} {Fmt.GetAbbreviatedMonthName(d.Month).ToLowerInvariant()} {d.Year}",          // 4 jun 2024
        d => $"{d.Day:00}.{d.Month:00}.{d.Year}",                                                    // 04.06.2024
        d => $"{Fmt.GetAbbreviatedDayName(d.DayOfWeek)} {d.Day} {Fmt.GetAbbreviatedMonthName(d.Month)} {d.Year}", // Tue 4 Jun 2024
        d => $"{Fmt.GetMonthName(d.Month).ToUpperInvariant()} {d.Day}, {d.Year}",                    // JUNE 4, 2024
        d => $"{d.Month:00}/{d.Day:00}/{d.Year}",                                                    // 06/04/2024
        d => $"{d.Day} {Fmt.GetMonthName(d.Month).ToLowerInvariant()} {d.Year % 100:00}",            // 4 june 24
    ];

    private static readonly DateTime First = new(1950, 1, 1);
    private static readonly int Days = (int)(new DateTime(2049, 12, 31) - First).TotalDays + 1;

    /// <summary>A random date from 1950-01-01 to 2049-12-31 in a random format, and its ISO form.</summary>
    public static (string Human, string Iso) Draw(Rng rng)
    {
        var d = First.AddDays(rng.NextInt(Days));
        return (Formats[rng.NextInt(Formats.Length)](d), d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
    }

    /// <summary>(N, <see cref="InLen"/>) character ids, end-padded with 0.</summary>
    public static Tensor EncodeInputs(IReadOnlyList<(string Human, string Iso)> pairs)
    {
        var t = new Tensor(new Shape(pairs.Count, InLen));
        var s = t.Span;
        for (int i = 0; i < pairs.Count; i++)
        {
            if (pairs[i].Human.Length > InLen) throw new InvalidOperationException($"'{pairs[i].Human}' is longer than {InLen} characters.");
            InVocab.Encode(pairs[i].Human).CopyTo(s.Slice(i * InLen)); // the rest stays 0: padding
        }
        return t;
    }

    /// <summary>The teacher-forced decoder input (start token, then the true previous characters) and the targets.</summary>
    public static (Tensor DecoderIn, Tensor Target) EncodeOutputs(IReadOnlyList<(string Human, string Iso)> pairs)
    {
        var dIn = new Tensor(new Shape(pairs.Count, OutLen));
        var tgt = new Tensor(new Shape(pairs.Count, OutLen));
        for (int i = 0; i < pairs.Count; i++)
            for (int j = 0; j < OutLen; j++)
            {
                tgt[i, j] = OutChars.IndexOf(pairs[i].Iso[j]);
                dIn[i, j] = j == 0 ? StartId : OutChars.IndexOf(pairs[i].Iso[j - 1]); // teacher forcing: the true previous character
            }
        return (dIn, tgt);
    }

    /// <summary>
    /// Luong attention: characters → Embedding(mask_zero) → Bidirectional LSTM encoder whose final states start the
    /// decoder LSTM; decoder outputs attend over the encoder outputs (padded steps masked out); [context, decoder
    /// output] → Dense(tanh) → Dense(logits). Inputs "human" (N, InLen) and "previous" (N, OutLen); compiled with Adam
    /// (2e-3, clip 1) and sparse cross-entropy from logits.
    /// </summary>
    public static Model Build(int units = 64)
    {
        var encIn = Input([InLen], name: "human");
        var encEmb = new Embedding(InVocab.Size, 32, maskZero: true, name: "char_embedding").Apply(encIn);
        var enc = new Bidirectional(new LSTM(units, returnSequences: true, returnState: true), name: "encoder").ApplyMany(encEmb);
        var encSeq = enc[0];                                                    // (B, InLen, 2·units), carries the padding mask
        var h0 = new Concatenate(name: "h0").Apply(enc[1], enc[3]);            // forward and backward final h
        var c0 = new Concatenate(name: "c0").Apply(enc[2], enc[4]);
        var decIn = Input([OutLen], name: "previous");
        var decEmb = new Embedding(OutVocab, 16, name: "iso_embedding").Apply(decIn);
        // return_state is unused in training; the decoder-step model (InferencePieces) reads the states over the same layer.
        var decSeq = new LSTM(2 * units, returnSequences: true, returnState: true, name: "decoder").ApplyMany(decEmb, h0, c0)[0];
        var context = new Attention(name: "attention").Apply(decSeq, encSeq); // query: decoder steps; value: encoder steps
        var mixed = new Dense(2 * units, activation: "tanh", name: "attention_mix").Apply(new Concatenate(name: "context_and_state").Apply(context, decSeq));
        var logits = new Dense(OutVocab, name: "logits").Apply(mixed);
        var model = new Model([encIn, decIn], [logits], name: "date_translation");
        model.Compile(new Adam(learningRate: 2e-3f) { GlobalClipNorm = 1f }, new SparseCategoricalCrossentropy(fromLogits: true), ["accuracy"]);
        return model;
    }

    /// <summary>
    /// The pieces a step-by-step greedy decoder needs, over the trained model's own layers (so they share its weights):
    /// <c>Encoder</c> maps "human" (N, InLen) to the encoder outputs (N, InLen, 2·units) and the decoder's initial
    /// states h, c (N, 2·units); <c>DecoderStep</c> maps ("previous_id" (N, 1), "h" (N, 2·units), "c" (N, 2·units),
    /// "encoder_outputs" (N, InLen, 2·units)) to (logits (N, 1, OutVocab), next h, next c). A graph input carries no
    /// mask, so the step model rebuilds the padding mask with <see cref="Masking"/>(0): the Bidirectional encoder
    /// writes exact zeros at padded steps (zero_output_for_mask), and a real step is never all zeros.
    /// </summary>
    public static (Model Encoder, Model DecoderStep) InferencePieces(Model trained)
    {
        var encoderLayer = (Bidirectional)trained.GetLayer("encoder");
        var decoder = (LSTM)trained.GetLayer("decoder");
        int units = decoder.Units;
        var human = Input([InLen], name: "human");
        var enc = encoderLayer.ApplyMany(trained.GetLayer("char_embedding").Apply(human));
        var h0 = trained.GetLayer("h0").Apply(enc[1], enc[3]);
        var c0 = trained.GetLayer("c0").Apply(enc[2], enc[4]);
        var encoder = new Model([human], [enc[0], h0, c0], name: "date_encoder");

        var previous = Input([1], name: "previous_id");
        var h = Input([units], name: "h");
        var c = Input([units], name: "c");
        var encoderOutputs = Input([InLen, units], name: "encoder_outputs");
        var padded = new Masking(0f, name: "encoder_padding").Apply(encoderOutputs);
        var dec = decoder.ApplyMany(trained.GetLayer("iso_embedding").Apply(previous), h, c);
        var context = trained.GetLayer("attention").Apply(dec[0], padded);
        var mixed = trained.GetLayer("attention_mix").Apply(trained.GetLayer("context_and_state").Apply(context, dec[0]));
        var logits = trained.GetLayer("logits").Apply(mixed);
        return (encoder, new Model([previous, h, c, encoderOutputs], [logits, dec[1], dec[2]], name: "date_decoder_step"));
    }

    /// <summary>
    /// Greedy decoding one character at a time over the <see cref="InferencePieces"/>: encode once, then feed each
    /// step's best character and states back. <paramref name="encode"/> maps human (N, InLen) to (outputs, h, c);
    /// <paramref name="step"/> maps (previous (N, 1), h, c, outputs) to (logits (N, 1, OutVocab), h, c).
    /// </summary>
    public static int[][] GreedyDecodeStepwise(Func<Tensor, Tensor[]> encode, Func<Tensor[], Tensor[]> step, Tensor x)
    {
        int n = x.Shape[0];
        var e = encode(x);
        var (outputs, h, c) = (e[0], e[1], e[2]);
        var previous = Tensor.Full(StartId, n, 1);
        var result = new int[n][];
        for (int i = 0; i < n; i++) result[i] = new int[OutLen];
        for (int j = 0; j < OutLen; j++)
        {
            var r = step([previous, h, c, outputs]);
            var logits = r[0].Span;
            for (int i = 0; i < n; i++) previous[i, 0] = result[i][j] = Sampling.Greedy(logits.Slice(i * OutVocab, OutVocab));
            (h, c) = (r[1], r[2]);
        }
        return result;
    }

    /// <summary>
    /// Greedy decoding with the whole model (Praxis' Predict, or ONNX Runtime over the exported file): the decoder LSTM
    /// is causal and each attention query is one position, so output j depends only on decoder inputs 0..j. Filling
    /// position j+1 with the prediction at j, one pass per output character, is exactly step-by-step greedy decoding.
    /// <paramref name="predict"/> maps (human (N, InLen), previous (N, OutLen)) to logits (N·OutLen·OutVocab, row-major).
    /// </summary>
    public static int[][] GreedyDecode(Func<Tensor, Tensor, float[]> predict, Tensor x)
    {
        int n = x.Shape[0];
        var dec = Tensor.Full(StartId, n, OutLen);
        var result = new int[n][];
        for (int i = 0; i < n; i++) result[i] = new int[OutLen];
        for (int j = 0; j < OutLen; j++)
        {
            var ps = predict(x, dec).AsSpan();
            for (int i = 0; i < n; i++)
            {
                int best = Sampling.Greedy(ps.Slice((i * OutLen + j) * OutVocab, OutVocab));
                result[i][j] = best;
                if (j + 1 < OutLen) dec[i, j + 1] = best;
            }
        }
        return result;
    }

    /// <summary>Decoded ids as text ('?' for the start token).</summary>
    public static string Text(int[] ids) => string.Concat(ids.Select(id => id < OutChars.Length ? OutChars[id] : '?'));
}
