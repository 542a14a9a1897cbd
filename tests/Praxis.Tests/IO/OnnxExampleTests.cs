using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Praxis.Data;
using Praxis.Examples;
using Praxis.Losses;
using Praxis.Models;
using Praxis.Optimizers;
using static Praxis.Keras;

namespace Praxis.Tests.IO;

/// <summary>
/// Every example's model, built by the example's own code (examples/*/…Model.cs, linked into the tests), trained a few
/// steps on the real data, exported, and run in ONNX Runtime on a batch of real inputs: outputs equal Predict within
/// 1e-4, and for generators the next-token distributions too.
/// </summary>
[Collection("Global state")]
public class OnnxExampleTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const double Tolerance = 1e-4;

    private static (Tensor X, Tensor Y) Mnist(int count, bool train, int[] shape)
    {
        var ((xTrain, yTrain), (xTest, yTest)) = Praxis.Data.Mnist.LoadData();
        var (x, y) = train ? (xTrain, yTrain) : (xTest, yTest);
        return (x.SliceRows(0, count).Reshape([count, .. shape]), y.SliceRows(0, count));
    }

    private double AssertClose(string what, float[] expected, float[] actual, double tolerance = Tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        double worst = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double d = Math.Abs(expected[i] - actual[i]);
            if (double.IsNaN(d)) d = double.PositiveInfinity;
            worst = Math.Max(worst, d);
            Assert.True(d <= tolerance, $"{what}: element {i}: Praxis {expected[i]:R}, ONNX Runtime {actual[i]:R}");
        }
        output.WriteLine($"{what}: max |Praxis − ONNX Runtime| = {worst:E2} over {expected.Length} values");
        return worst;
    }

    private static float[] Softmax(ReadOnlySpan<float> logits)
    {
        var p = new float[logits.Length];
        float max = float.NegativeInfinity;
        foreach (float v in logits) max = MathF.Max(max, v);
        double sum = 0;
        for (int i = 0; i < p.Length; i++) sum += p[i] = MathF.Exp(logits[i] - max);
        for (int i = 0; i < p.Length; i++) p[i] = (float)(p[i] / sum);
        return p;
    }

    [Fact]
    public void SeedMlpMatches()
    {
        SetRandomSeed(1); ClearSession();
        var model = SeedMlpModel.Build();
        var (x, y) = Mnist(1024, train: true, [784]);
        model.Fit(x, ToCategorical(y, 10), epochs: 1, batchSize: 32, verbose: 0);
        using var dir = new TempDir();
        var test = Mnist(256, train: false, [784]).X;
        model.ExportOnnx(dir.File("seed.onnx"));
        AssertClose("seed MLP", model.Predict(test).ToArray(), OnnxExportTests.RunOnnx(dir.File("seed.onnx"), test)[0]);
    }

    [Fact]
    public void MnistCnnMatches()
    {
        SetRandomSeed(2); ClearSession();
        var model = MnistCnnModel.Build();
        var (x, y) = Mnist(256, train: true, [28, 28, 1]);
        model.Fit(x, ToCategorical(y, 10), epochs: 1, batchSize: 128, verbose: 0);
        using var dir = new TempDir();
        var test = Mnist(64, train: false, [28, 28, 1]).X;
        model.ExportOnnx(dir.File("cnn.onnx"));
        AssertClose("MNIST CNN", model.Predict(test).ToArray(), OnnxExportTests.RunOnnx(dir.File("cnn.onnx"), test)[0]);
    }

    [Theory]
    [InlineData("tf", 32)]
    [InlineData("small", 16)]
    public void DcganGeneratorMatches(string arch, int width)
    {
        SetRandomSeed(3); ClearSession();
        var generator = DcganModels.Generator(arch, width);
        var discriminator = DcganModels.Discriminator(8, 0f);
        const int batch = 16;
        var step = new DcganStep(generator, discriminator, new Adam(2e-4f, beta1: 0.5f), new Adam(4e-4f, beta1: 0.5f), batch, eager: false);
        var real = Mnist(3 * batch, train: true, [28, 28, 1]).X * 2f - 1f;
        var noise = new Rng(4);
        for (int s = 0; s < 3; s++)
        {
            real.SliceRows(s * batch, batch).Span.CopyTo(step.Real.Span);
            noise.FillNormal(step.Z.Span, 0f, 1f);
            step.Run(); // also moves BatchNormalization's moving statistics, which the exported graph must carry
        }
        using var dir = new TempDir();
        var z = Tensor.RandomNormal(new Shape(32, DcganModels.LatentDim), rng: new Rng(5));
        generator.ExportOnnx(dir.File("generator.onnx"));
        AssertClose($"DCGAN generator ({arch}, {width})", generator.Predict(z).ToArray(), OnnxExportTests.RunOnnx(dir.File("generator.onnx"), z)[0]);
    }

    [Fact]
    public void CharGptMatchesAndGivesTheSameNextTokenDistribution()
    {
        SetRandomSeed(6); ClearSession();
        string text = TextCorpus.MobyDick();
        var vocab = new CharVocabulary(text);
        float[] data = vocab.Encode(text[..200_000]);
        const int block = 64, batch = 4;
        var model = CharGptModel.Build(vocab.Size, blockSize: block);
        model.Compile(new AdamW(1e-3f), new SparseCategoricalCrossentropy(fromLogits: true));
        var rng = new Rng(7);
        var (xb, yb) = (new Tensor(new Shape(batch, block)), new Tensor(new Shape(batch, block)));
        for (int it = 0; it < 3; it++)
        {
            Windows(data, rng, xb, yb);
            model.TrainOnBatch(xb, yb);
        }
        Windows(data, rng, xb, yb);
        // A short context zero-padded at the end, as the example samples: the causal model's position p sees ≤ p.
        for (int j = 20; j < block; j++) xb[1, j] = 0f;
        using var dir = new TempDir();
        model.ExportOnnx(dir.File("chargpt.onnx"));
        var expected = model.Predict(xb).ToArray();
        var actual = OnnxExportTests.RunOnnx(dir.File("chargpt.onnx"), xb)[0];
        AssertClose("CharGPT logits", expected, actual);
        int v = vocab.Size;
        for (int b = 0; b < batch; b++)
        {
            int last = b == 1 ? 19 : block - 1;
            AssertClose($"CharGPT next-token distribution, row {b}",
                Softmax(expected.AsSpan((b * block + last) * v, v)), Softmax(actual.AsSpan((b * block + last) * v, v)), 1e-5);
        }
    }

    [Fact]
    public void CharRnnWindowAndStepModelsMatchAndGenerateTheSameDistributions()
    {
        SetRandomSeed(8); ClearSession();
        string text = TextCorpus.MobyDick()[..200_000];
        var vocab = new CharVocabulary(text);
        float[] data = vocab.Encode(text);
        const int seqLen = 64, units = 256, batch = 8;
        var (model, step) = CharRnnModel.Build(vocab.Size, seqLen, units, embedDim: 64);
        model.Compile(new Adam(2e-3f) { GlobalClipNorm = 5f }, new SparseCategoricalCrossentropy(fromLogits: true));
        var rng = new Rng(9);
        var (xb, yb) = (new Tensor(new Shape(batch, seqLen)), new Tensor(new Shape(batch, seqLen)));
        for (int it = 0; it < 3; it++)
        {
            Windows(data, rng, xb, yb);
            model.TrainOnBatch(xb, yb);
        }
        Windows(data, rng, xb, yb);
        using var dir = new TempDir();
        model.ExportOnnx(dir.File("char_rnn.onnx"));
        step.ExportOnnx(dir.File("char_rnn_step.onnx"));
        AssertClose("char-rnn window logits", model.Predict(xb).ToArray(), OnnxExportTests.RunOnnx(dir.File("char_rnn.onnx"), xb)[0]);

        // Generation: each side feeds its own states back; the characters come from the text, so both see the same ids.
        var id = new Tensor(new Shape(2, 1));
        Tensor h = new(new Shape(2, units)), c = new(new Shape(2, units));
        float[] hOnnx = new float[2 * units], cOnnx = new float[2 * units];
        for (int t = 0; t < 12; t++)
        {
            id[0, 0] = data[t];
            id[1, 0] = data[1000 + t];
            var p = step.PredictMany([id, h, c], batchSize: 2);
            var o = OnnxExportTests.RunOnnx(dir.File("char_rnn_step.onnx"), id, Tensor.FromArray(hOnnx, 2, units), Tensor.FromArray(cOnnx, 2, units));
            for (int b = 0; b < 2; b++)
                AssertClose($"char-rnn step {t} row {b} next-character distribution",
                    Softmax(p[0].Span.Slice(b * vocab.Size, vocab.Size)), Softmax(o[0].AsSpan(b * vocab.Size, vocab.Size)), 1e-5);
            AssertClose($"char-rnn step {t} states", [.. p[1].ToArray(), .. p[2].ToArray()], [.. o[1], .. o[2]]);
            (h, c, hOnnx, cOnnx) = (p[1], p[2], o[1], o[2]);
        }
    }

    [Fact]
    public void DateTranslationMatchesAndGreedyDecodingOverOnnxRuntimeGivesTheSameDates()
    {
        SetRandomSeed(10); ClearSession();
        var rng = new Rng(11);
        var train = Enumerable.Range(0, 2048).Select(_ => DateTranslationModel.Draw(rng)).ToArray();
        var test = Enumerable.Range(0, 64).Select(_ => DateTranslationModel.Draw(rng)).ToArray();
        var model = DateTranslationModel.Build(units: 32);
        var (dTrain, yTrain) = DateTranslationModel.EncodeOutputs(train);
        model.Fit([DateTranslationModel.EncodeInputs(train), dTrain], yTrain, epochs: 3, batchSize: 64, verbose: 0); // enough for dates that vary

        using var dir = new TempDir();
        string path = dir.File("date_translation.onnx");
        model.ExportOnnx(path);
        var x = DateTranslationModel.EncodeInputs(test);
        var (dTest, _) = DateTranslationModel.EncodeOutputs(test);
        AssertClose("date translation logits (teacher forced)", model.Predict([x, dTest]).ToArray(), OnnxExportTests.RunOnnx(path, x, dTest)[0]);

        // The same greedy loop, once over Predict and once over an ONNX Runtime session.
        var praxis = DateTranslationModel.GreedyDecode((h, d) => model.Predict([h, d], batchSize: 64).ToArray(), x);
        using var session = new InferenceSession(path);
        var onnx = DateTranslationModel.GreedyDecode((h, d) =>
        {
            using var r = session.Run([
                NamedOnnxValue.CreateFromTensor("human", new DenseTensor<float>(h.ToArray(), h.Shape.ToArray())),
                NamedOnnxValue.CreateFromTensor("previous", new DenseTensor<float>(d.ToArray(), d.Shape.ToArray()))]);
            return r[0].AsTensor<float>().ToArray();
        }, x);
        for (int i = 0; i < test.Length; i++) Assert.Equal(DateTranslationModel.Text(praxis[i]), DateTranslationModel.Text(onnx[i]));
        output.WriteLine($"greedy dates equal on {test.Length} inputs, e.g. {test[0].Human} → {DateTranslationModel.Text(onnx[0])} (after 3 short epochs)");

        // The pieces a step-by-step decoder needs: an encoder graph and a decoder-step graph over the same weights.
        var (encoder, decoderStep) = DateTranslationModel.InferencePieces(model);
        string encoderPath = dir.File("date_encoder.onnx"), stepPath = dir.File("date_decoder_step.onnx");
        encoder.ExportOnnx(encoderPath);
        decoderStep.ExportOnnx(stepPath);
        var encoded = encoder.PredictMany([x], batchSize: 64);
        var encodedOnnx = OnnxExportTests.RunOnnx(encoderPath, x);
        string[] pieces = ["encoder outputs", "initial h", "initial c"];
        for (int k = 0; k < 3; k++) AssertClose(pieces[k], encoded[k].ToArray(), encodedOnnx[k]);
        // Masking(0) in the step graph rebuilds the padding mask from these zeros: padded steps must be exactly 0.
        int width = encoded[0].Shape[2];
        var xs = x.Span;
        for (int i = 0; i < test.Length; i++)
            for (int t = 0; t < DateTranslationModel.InLen; t++)
                if (xs[i * DateTranslationModel.InLen + t] == 0f)
                    for (int f = 0; f < width; f++) Assert.Equal(0f, encodedOnnx[0][(i * DateTranslationModel.InLen + t) * width + f]);

        // One step from the start token equals the whole model's first position, in Praxis and in ONNX Runtime: the
        // rebuilt mask keeps the attention off the padded steps (with them the logits would differ).
        var start = Tensor.Full(DateTranslationModel.StartId, test.Length, 1);
        var first = decoderStep.PredictMany([start, encoded[1], encoded[2], encoded[0]], batchSize: 64)[0].ToArray();
        var firstOnnx = OnnxExportTests.RunOnnx(stepPath, start, encoded[1], encoded[2], encoded[0])[0];
        var whole = model.Predict([x, Tensor.Full(DateTranslationModel.StartId, test.Length, DateTranslationModel.OutLen)], batchSize: 64).ToArray();
        var wholeFirst = new float[first.Length];
        for (int i = 0; i < test.Length; i++)
            whole.AsSpan(i * DateTranslationModel.OutLen * DateTranslationModel.OutVocab, DateTranslationModel.OutVocab).CopyTo(wholeFirst.AsSpan(i * DateTranslationModel.OutVocab));
        AssertClose("decoder step 0 (Praxis) vs the whole model's first position", wholeFirst, first);
        AssertClose("decoder step 0 (ONNX Runtime) vs the whole model's first position", wholeFirst, firstOnnx);

        var praxisSteps = DateTranslationModel.GreedyDecodeStepwise(h => encoder.PredictMany([h], batchSize: 64), s => decoderStep.PredictMany(s, batchSize: 64), x);
        var onnxSteps = DecodeWithOnnxRuntime(encoderPath, stepPath, x.ToArray(), test.Length);
        for (int i = 0; i < test.Length; i++)
        {
            Assert.Equal(DateTranslationModel.Text(praxis[i]), DateTranslationModel.Text(praxisSteps[i]));
            Assert.Equal(DateTranslationModel.Text(praxis[i]), onnxSteps[i]);
        }
        output.WriteLine($"step-by-step greedy decoding over the encoder and decoder-step graphs in ONNX Runtime: the same {test.Length} dates");
    }

    /// <summary>
    /// What a server would write with ONNX Runtime alone: encode once, then one decoder step per character, feeding
    /// back the best character and the LSTM states; the encoder outputs are passed to every step.
    /// </summary>
    private static string[] DecodeWithOnnxRuntime(string encoderPath, string stepPath, float[] human, int n)
    {
        const int inLen = DateTranslationModel.InLen, vocab = DateTranslationModel.OutVocab;
        using var encoder = new InferenceSession(encoderPath);
        using var step = new InferenceSession(stepPath);
        DenseTensor<float> outputs, h, c;
        using (var e = encoder.Run([NamedOnnxValue.CreateFromTensor("human", new DenseTensor<float>(human, [n, inLen]))]))
            (outputs, h, c) = (e[0].AsTensor<float>().ToDenseTensor(), e[1].AsTensor<float>().ToDenseTensor(), e[2].AsTensor<float>().ToDenseTensor());
        var previous = new DenseTensor<float>([n, 1]);
        previous.Fill(DateTranslationModel.StartId);
        var text = new System.Text.StringBuilder[n];
        for (int i = 0; i < n; i++) text[i] = new System.Text.StringBuilder();
        for (int j = 0; j < DateTranslationModel.OutLen; j++)
        {
            using var r = step.Run([
                NamedOnnxValue.CreateFromTensor("previous_id", previous), NamedOnnxValue.CreateFromTensor("h", h),
                NamedOnnxValue.CreateFromTensor("c", c), NamedOnnxValue.CreateFromTensor("encoder_outputs", outputs)]);
            var logits = r[0].AsTensor<float>(); // (n, 1, vocab)
            for (int i = 0; i < n; i++)
            {
                int best = 0;
                for (int k = 1; k < vocab; k++) if (logits[i, 0, k] > logits[i, 0, best]) best = k;
                previous[i, 0] = best;
                text[i].Append(best < DateTranslationModel.OutChars.Length ? DateTranslationModel.OutChars[best] : '?');
            }
            (h, c) = (r[1].AsTensor<float>().ToDenseTensor(), r[2].AsTensor<float>().ToDenseTensor());
        }
        return text.Select(t => t.ToString()).ToArray();
    }

    [Theory]
    [InlineData("cnn")]
    [InlineData("transformer")]
    public void TextClassificationMatchesWithTheVectorizerInCSharp(string which)
    {
        SetRandomSeed(12); ClearSession();
        var messages = SpamAssassin.Load();
        var (train, test) = SpamAssassin.Split(messages, seed: 42, testFraction: 0.2);
        string[] trainText = train.Take(128).Select(m => m.Text).ToArray(), testText = test.Take(32).Select(m => m.Text).ToArray();
        var (vectorizer, model) = which == "cnn" ? TextClassificationModels.Cnn() : TextClassificationModels.Transformer();
        vectorizer.Adapt(trainText);
        model.Compile("adam", "binary_crossentropy", ["accuracy"]);
        model.Fit(vectorizer.Apply(trainText), Tensor.FromArray(train.Take(128).Select(m => m.Label).ToArray(), 128, 1), epochs: 1, batchSize: 32, verbose: 0);
        model.StringInput = vectorizer;

        using var dir = new TempDir();
        string path = dir.File(which + ".onnx");
        model.ExportOnnx(path); // the split: the graph starts at the vectorizer's token ids
        var expected = model.Predict(testText).ToArray(); // raw text through the model's StringInput
        AssertClose($"text {which}", expected, OnnxExportTests.RunOnnx(path, vectorizer.Apply(testText))[0]);
    }

    /// <summary>Random windows of the text and their next-character targets.</summary>
    private static void Windows(float[] data, Rng rng, Tensor xb, Tensor yb)
    {
        int batch = xb.Shape[0], len = xb.Shape[1];
        for (int b = 0; b < batch; b++)
        {
            int ix = rng.NextInt(data.Length - len - 1);
            data.AsSpan(ix, len).CopyTo(xb.Span.Slice(b * len, len));
            data.AsSpan(ix + 1, len).CopyTo(yb.Span.Slice(b * len, len));
        }
    }
}
