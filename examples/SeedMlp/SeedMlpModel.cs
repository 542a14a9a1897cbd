using Praxis.Layers;
using Praxis.Models;
using static Praxis.Keras;

namespace Praxis.Examples;

/// <summary>The seed MLP (784 → Dense 64 relu → Dense 10 softmax), shared by the example and its ONNX export test.</summary>
public static class SeedMlpModel
{
    /// <summary>Builds and compiles the model exactly as the Keras program does.</summary>
    public static Model Build()
    {
        var inputs = Input(shape: [784]);
        var hidden = new Dense(64, activation: "relu").Apply(inputs);
        var outputs = new Dense(10, activation: "softmax").Apply(hidden);
        var model = new Model(inputs, outputs);
        model.Compile(optimizer: "adam", loss: "categorical_crossentropy", metrics: ["accuracy"]);
        return model;
    }
}
