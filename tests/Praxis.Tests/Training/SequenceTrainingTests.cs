using Praxis.Data;
using Praxis.Optimizers;

namespace Praxis.Tests.Training;

/// <summary>Schedules, AdamW's weight-decay exclusion, sampling utilities and the shipped text corpora.</summary>
public class SequenceTrainingTests
{
    [Fact]
    public void CosineDecayReproducesNanoGptSchedule()
    {
        // nanoGPT train.py get_lr: linear warm-up (it+1)/(warmup+1), cosine from lr to min_lr between warmup and lr_decay_iters.
        static double NanoGpt(long it)
        {
            const double lr = 1e-3, min = 1e-4; const int warm = 100, decay = 2000;
            if (it < warm) return lr * (it + 1) / (warm + 1);
            if (it > decay) return min;
            double ratio = (double)(it - warm) / (decay - warm);
            return min + 0.5 * (1 + Math.Cos(Math.PI * ratio)) * (lr - min);
        }
        var s = new CosineDecay(1e-3 / 101, decaySteps: 1900, alpha: 0.1, warmupTarget: 1e-3, warmupSteps: 100);
        for (long it = 0; it <= 2100; it++) Assert.Equal(NanoGpt(it), s.Compute(it), 1e-9);
        // Without warm-up: Keras' plain cosine decay, clamped after decay_steps.
        var plain = new CosineDecay(0.1, 10);
        Assert.Equal(0.1, plain.Compute(0), 1e-7);
        Assert.Equal(0.05, plain.Compute(5), 1e-7);
        Assert.Equal(0.0, plain.Compute(15), 1e-7);
        Func<long, float> f = s; // usable as Optimizer.Schedule
        Assert.Equal(s.Compute(7), f(7));
        Assert.Throws<ArgumentException>(() => new CosineDecay(1e-3, 10, warmupTarget: 1e-2));
    }

    [Fact]
    public void AdamWDecaysOnlyIncludedVariables()
    {
        var w = Tensor.Ones(2, 2); w.Name = "dense/kernel"; w.RequiresGrad = true;
        var g = Tensor.Ones(2); g.Name = "layer_normalization/gamma"; g.RequiresGrad = true;
        var opt = new AdamW(learningRate: 0.1f, weightDecay: 0.5f);
        opt.ExcludeFromWeightDecay(varNames: ["gamma"]);
        Assert.True(opt.DecaysWeight(w));
        Assert.False(opt.DecaysWeight(g));
        w.Grad = Tensor.Zeros(2, 2); g.Grad = Tensor.Zeros(2); // zero gradient: only decay moves weights
        opt.Step([w, g]);
        Assert.Equal(1f - 0.1f * 0.5f, w[0, 0], 6);
        Assert.Equal(1f, g[0]);
    }

    [Fact]
    public void SamplingRespectsTemperatureAndTopK()
    {
        float[] logits = [1f, 3f, 2f, -1f];
        Assert.Equal(1, Sampling.Greedy(logits));
        Assert.Equal(1, Sampling.Sample(logits, temperature: 0f));
        var rng = new Rng(9);
        var counts = new int[4];
        for (int i = 0; i < 20000; i++) counts[Sampling.Sample(logits, 1f, null, rng)]++;
        // softmax([1, 3, 2, -1]) = [0.0889, 0.6572, 0.2418, 0.0120]
        Assert.Equal(0.6572, counts[1] / 20000.0, 2);
        Assert.Equal(0.0120, counts[3] / 20000.0, 2);
        Array.Clear(counts);
        for (int i = 0; i < 5000; i++) counts[Sampling.Sample(logits, 1f, 2, rng)]++;
        Assert.Equal(0, counts[0] + counts[3]);
        Assert.Equal(0.7311, counts[1] / 5000.0, 1);
        Assert.Throws<ArgumentOutOfRangeException>(() => Sampling.Sample(logits, -1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => Sampling.Sample(logits, 1f, 0));
    }

    [Fact]
    public void ShippedCorporaAndVocabulary()
    {
        string text = TextCorpus.MobyDick();
        Assert.Equal(1_190_317, text.Length);
        Assert.StartsWith("CHAPTER 1. Loomings.", text);
        var vocab = new CharVocabulary(text);
        Assert.Equal(83, vocab.Size);
        Assert.Equal('\n', vocab.Chars[0]);
        Assert.Equal("Call me Ishmael.", vocab.Decode(vocab.Encode("Call me Ishmael.").Select(v => (int)v)));
        Assert.Throws<ArgumentException>(() => vocab.Encode("é"));
        var names = TextCorpus.FirstNames();
        Assert.Equal(8403, names.Length);
        var padded = new CharVocabulary(string.Concat(names), reservePadding: true);
        Assert.Equal(27, padded.Size);
        Assert.Equal(1, padded['a']);
        Assert.Equal("", padded.Decode(0));
    }
}
