using System.Text.Json;
using Praxis.Losses;
using Praxis.Optimizers;

namespace Praxis.Tests.Optimizers;

/// <summary>
/// Optimizer steps and losses against values PyTorch computed once in float64
/// (<c>Fixtures/make_optimizer_reference.py</c>, an independent implementation of the same recurrences; epsilon 0 where
/// Keras and PyTorch place it differently). Four steps of fixed gradients on five weights.
/// </summary>
public class OptimizerReferenceTests
{
    private static readonly JsonElement Root = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "optimizer_reference.json"))).RootElement;

    private static float[] Floats(JsonElement e) => e.EnumerateArray().Select(v => (float)v.GetDouble()).ToArray();

    public static TheoryData<string> Names => new() { "sgd_momentum", "sgd_nesterov", "adam", "adamw", "rmsprop" };

    private static Optimizer Make(string name) => name switch
    {
        "sgd_momentum" => new SGD(0.1f, momentum: 0.9f),
        "sgd_nesterov" => new SGD(0.1f, momentum: 0.9f, nesterov: true),
        "adam" => new Adam(0.01f, 0.9f, 0.999f, epsilon: 0f),
        "adamw" => new AdamW(0.01f, weightDecay: 0.1f, epsilon: 0f),
        "rmsprop" => new RMSprop(0.01f, rho: 0.9f, epsilon: 0f),
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(Names))]
    public void StepsFollowPyTorchsTrajectory(string name)
    {
        var w = Tensor.FromArray(Floats(Root.GetProperty("w0")));
        w.RequiresGrad = true;
        var opt = Make(name);
        var grads = Root.GetProperty("grads").EnumerateArray().Select(Floats).ToArray();
        var expected = Root.GetProperty(name).EnumerateArray().Select(Floats).ToArray();
        for (int t = 0; t < grads.Length; t++)
        {
            w.Grad = Tensor.FromArray(grads[t]);
            opt.Step([w]);
            var got = w.ToArray();
            for (int i = 0; i < got.Length; i++)
                Assert.True(Math.Abs(got[i] - expected[t][i]) <= 2e-6 + 2e-6 * Math.Abs(expected[t][i]),
                    $"{name} step {t + 1} weight {i}: {got[i]} vs PyTorch {expected[t][i]}");
        }
        Assert.Equal(grads.Length, opt.Iterations);
    }

    [Theory]
    [InlineData("bce")]
    [InlineData("mae")]
    public void LossesAndTheirGradientsMatchPyTorch(string name)
    {
        var r = Root.GetProperty(name);
        float[] Flat(string key) => r.GetProperty(key).EnumerateArray().SelectMany(Floats).ToArray();
        var yTrue = Tensor.FromArray(Flat("y_true"), 2, 3);
        var yPred = Tensor.FromArray(Flat("y_pred"), 2, 3);
        yPred.RequiresGrad = true;
        Loss loss = name == "bce" ? new BinaryCrossentropy() : new MeanAbsoluteError();
        var l = loss.Compute(yTrue, yPred);
        Assert.Equal(r.GetProperty("loss").GetDouble(), l.Item(), 5);
        l.Backward();
        var expected = Flat("grad");
        var got = yPred.Grad!.ToArray();
        for (int i = 0; i < got.Length; i++) Assert.Equal(expected[i], got[i], 5);
    }
}
