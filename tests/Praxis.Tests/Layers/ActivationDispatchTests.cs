using Praxis.Layers;

namespace Praxis.Tests.Layers;

/// <summary>Fused ops compute only the library's own activations: a user's function is applied as written, or refused where a kernel cannot apply it.</summary>
public class ActivationDispatchTests
{
    [Fact]
    public void DenseAppliesAUsersFunctionNamedReluInsteadOfFusingTheBuiltIn()
    {
        var doubled = new ActivationFunction("relu", x => x * 2f); // a user's function that happens to be called "relu"
        Assert.False(doubled.IsBuiltIn);
        Assert.True(Activations.Get("relu").IsBuiltIn);
        var dense = new Dense(3, activation: doubled, kernelInitializer: new Praxis.Initializers.Constant(-1f));
        var y = dense.Apply(Tensor.Ones(2, 4));
        Assert.All(y.ToArray(), v => Assert.Equal(-8f, v)); // 2·(−4); the fused ReLU would give 0
        var fused = new Dense(3, activation: "relu", kernelInitializer: new Praxis.Initializers.Constant(-1f));
        Assert.All(fused.Apply(Tensor.Ones(2, 4)).ToArray(), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void RecurrentLayersRefuseAUsersFunctionTheKernelsWouldReplace()
    {
        var mine = new ActivationFunction("tanh", x => x.Tanh() * 0.5f);
        var e = Assert.Throws<ArgumentException>(() => new LSTM(4, activation: mine));
        Assert.Contains("'tanh' is your own function", e.Message);
        e = Assert.Throws<ArgumentException>(() => new GRU(4, recurrentActivation: new ActivationFunction("sigmoid", x => x)));
        Assert.Contains("GRU recurrent activation", e.Message);
    }

    [Fact]
    public void HardSigmoidIsRegisteredWithKerasThreeFormula()
    {
        var f = Activations.Get("hard_sigmoid");
        Assert.True(f.IsBuiltIn);
        var y = f.Apply(Tensor.FromArray([-4f, -3f, 0f, 1.5f, 3f, 4f], 6)).ToArray();
        Assert.Equal([0f, 0f, 0.5f, 0.75f, 1f, 1f], y);
        var lstm = new LSTM(3, recurrentActivation: "hard_sigmoid"); // the fused kernel accepts it
        Assert.Equal(new Shape(2, 3), lstm.Apply(Tensor.Ones(2, 5, 4)).Shape);
    }
}
