using Praxis.Callbacks;
using Praxis.Layers;
using Praxis.Losses;
using Praxis.Models;
using Praxis.Optimizers;
using static Praxis.Keras;

namespace Praxis.Tests.Models;

/// <summary>
/// The replay rule for the sequence ops: a model using every fused sequence op (embedding lookups with masks,
/// bidirectional LSTM, GRU, causal multi-head attention, LayerNorm, GELU, a tied reversible head, AdamW with a
/// schedule and clipping) allocates nothing per training step once recorded.
/// </summary>
[Collection("Global state")]
public class SequenceAllocationTests
{
    [Fact]
    public void SequenceModelFitAllocatesNothingPerStep()
    {
        SetRandomSeed(4);
        int n = 8 * 70, t = 6, v = 9;
        var x = new Tensor(new Shape(n, t));
        var y = new Tensor(new Shape(n, t));
        var rng = new Rng(2);
        for (int i = 0; i < x.Size; i++) { x.Span[i] = rng.NextInt(v); y.Span[i] = rng.NextInt(v); }
        var ids = Input([t]);
        var tok = new ReversibleEmbedding(v, 8, maskZero: true);
        var e = tok.Apply(ids);
        var h = new Add().Apply(e, new PositionEmbedding(t).Apply(e));
        h = new Bidirectional(new LSTM(4, returnSequences: true)).Apply(h);
        h = new GRU(8, returnSequences: true).Apply(h);
        h = new LayerNormalization().Apply(h);
        h = new Add().Apply(h, new MultiHeadAttention(2, 4).Apply(h, h, useCausalMask: true));
        h = new Dense(8, activation: "gelu").Apply(h);
        var model = new Model(ids, tok.ApplyReverse(h));
        var opt = new AdamW(weightDecay: 0.1f) { GlobalClipNorm = 1f, Schedule = new CosineDecay(1e-3, 100, warmupTarget: 1e-2, warmupSteps: 10) };
        opt.ExcludeFromWeightDecay(varNames: ["gamma", "beta", "bias"]);
        model.Compile(opt, new SparseCategoricalCrossentropy(fromLogits: true));
        var probe = new AllocationProbe(10, 35, 60);
        model.Fit(x, y, epochs: 1, batchSize: 8, verbose: 0, callbacks: [probe]);
        double perStep = probe.PerStep;
        Assert.True(perStep < 16, $"{perStep} bytes allocated per training step after warm-up");
    }
}
