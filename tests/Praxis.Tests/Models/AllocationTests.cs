using Praxis.Callbacks;
using Praxis.Layers;
using Praxis.Models;
using static Praxis.Keras;

namespace Praxis.Tests.Models;

/// <summary>The training hot path allocates nothing per step once the step is recorded (measured on the training thread).</summary>
[Collection("Global state")]
public class AllocationTests
{
    [Theory]
    [InlineData("categorical_crossentropy", "adam")]
    [InlineData("sparse_categorical_crossentropy", "sgd")]
    public void SeedModelFitAllocatesNothingPerStep(string loss, string optimizer)
    {
        SetRandomSeed(3);
        var x = Tensor.RandomUniform(new Shape(32 * 130, 784));
        var labels = Tensor.Zeros(32 * 130);
        for (int i = 0; i < labels.Size; i++) labels.Span[i] = i % 10;
        var y = loss.StartsWith("sparse") ? labels : ToCategorical(labels, 10);
        var inputs = Input(shape: [784]);
        var outputs = new Dense(10, activation: "softmax").Apply(new Dense(64, activation: "relu").Apply(inputs));
        var model = new Model(inputs, outputs);
        model.Compile(optimizer, loss, ["accuracy"]);
        var probe = new AllocationProbe(20, 70, 120);
        model.Fit(x, y, epochs: 1, batchSize: 32, verbose: 0, callbacks: [probe]);
        double perStep = probe.PerStep;
        Assert.True(perStep < 16, $"{perStep} bytes allocated per training step after warm-up");
    }
}
