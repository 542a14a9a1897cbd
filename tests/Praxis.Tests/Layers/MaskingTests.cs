using Praxis.Layers;
using Praxis.Models;
using static Praxis.Keras;

namespace Praxis.Tests.Layers;

/// <summary>
/// Keras' Masking: a step whose features all equal mask_value is zeroed and masked; recurrent layers then skip it as
/// they skip Embedding(mask_zero)'s padding; the gradient flows through kept steps only.
/// </summary>
[Collection("Global state")]
public class MaskingTests
{
    private readonly Rng _rng = new(31);

    /// <summary>(2, 5, 3): row 0 all real; row 1 ends with two padded steps, and step 1 has one zero feature (kept).</summary>
    private Tensor Padded(float pad = 0f)
    {
        var x = GradCheck.Rand(_rng, 2, 5, 3);
        for (int t = 3; t < 5; t++)
            for (int f = 0; f < 3; f++) x[1, t, f] = pad;
        x[1, 1, 0] = pad;
        return x;
    }

    [Theory]
    [InlineData(0f)]
    [InlineData(-1f)]
    public void ZeroesAndMasksTheStepsWhoseFeaturesAllEqualTheMaskValue(float value)
    {
        var x = Padded(value);
        var y = new Masking(value, name: "m").Apply(x);
        Assert.NotNull(y.Mask);
        Assert.Equal(new Shape(2, 5), y.Mask!.Shape);
        Assert.Equal([1f, 1, 1, 1, 1, 1, 1, 1, 0, 0], y.Mask.ToArray());
        var xs = x.ToArray();
        var ys = y.ToArray();
        for (int i = 0; i < xs.Length; i++)
        {
            bool padded = i >= (5 + 3) * 3; // row 1, steps 3 and 4
            Assert.Equal(padded ? 0f : xs[i], ys[i]);
        }
    }

    [Fact]
    public void AnLstmSkipsTheMaskedStepsAsIfTheSequenceEndedThere()
    {
        var x = Padded();
        var lstm = new LSTM(4, name: "lstm");
        var h = lstm.Apply(new Masking().Apply(x)).ToArray();
        var shortRow = lstm.Apply(x.SliceRows(1, 1).Slice(1, 0, 3)).ToArray(); // row 1's three real steps alone
        for (int k = 0; k < 4; k++) Assert.Equal(shortRow[k], h[4 + k], 5);
        var unmasked = lstm.Apply(x).ToArray();
        Assert.NotEqual(unmasked[4], h[4]); // without the mask the padded steps change the state
    }

    [Fact]
    public void GradientIsTheMaskAndMatchesFiniteDifferencesThroughAnLstm()
    {
        var x = Padded();
        x.RequiresGrad = true;
        new Masking().Apply(x).Sum().Backward();
        var g = x.Grad!.ToArray();
        for (int i = 0; i < g.Length; i++) Assert.Equal(i >= (5 + 3) * 3 ? 0f : 1f, g[i]);

        // Multiplying by a fixed 0/1 pattern keeps the padded steps exactly zero under the finite-difference nudges.
        var pattern = Tensor.Ones(2, 5, 3);
        for (int t = 3; t < 5; t++)
            for (int f = 0; f < 3; f++) pattern[1, t, f] = 0f;
        var masking = new Masking();
        var lstm = new LSTM(3, returnSequences: true);
        GradCheck.Check(t => lstm.Apply(masking.Apply(t[0] * pattern)), GradCheck.Rand(_rng, 2, 5, 3));
    }

    [Fact]
    public void ConfigSummaryAndErrors()
    {
        ClearSession();
        var i = Input([-1, 10]);
        var model = new Model(i, new LSTM(32).Apply(new Masking(maskValue: -1f).Apply(i)));
        string s = model.SummaryString();
        Assert.Contains("masking (Masking)", s);
        Assert.Contains("(None, None, 10)", s);
        Assert.Equal(4 * (32 * (10 + 32) + 32), model.CountParams()); // Masking adds no weights
        Assert.Contains("\"mask_value\":-1", model.ToJson());
        var again = Model.FromJson(model.ToJson());
        Assert.Equal(-1f, ((Masking)again.Layers[1]).MaskValue);

        var e = Assert.Throws<ShapeMismatchException>(() => new Masking(name: "pad").Apply(Tensor.Ones(4)));
        Assert.Contains("Layer 'pad' (Masking)", e.Message);
        Assert.Contains("expected an input of rank ≥ 2", e.Message);
        Assert.Throws<ArgumentException>(() => new Masking(float.NaN));
    }
}
