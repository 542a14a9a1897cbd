using Praxis.Data;
using Praxis.Layers;
using Praxis.Models;
using static Praxis.Keras;

namespace Praxis.Tests.Models;

/// <summary>The seed program for one epoch on the real MNIST: a quick end-to-end check (the README's first command runs all 5).</summary>
[Collection("Global state")]
public class SeedTrainingTests
{
    [Fact]
    public void OneEpochOnRealMnistReachesOver94Percent()
    {
        SetRandomSeed(42);
        ClearSession();
        var ((xTrain, yTrain), (xTest, yTest)) = Mnist.LoadData();
        xTrain = xTrain.Reshape(-1, 784);
        xTest = xTest.Reshape(-1, 784);
        yTrain = ToCategorical(yTrain, 10);
        yTest = ToCategorical(yTest, 10);
        var inputs = Input(shape: [784]);
        var hidden = new Dense(64, activation: "relu").Apply(inputs);
        var outputs = new Dense(10, activation: "softmax").Apply(hidden);
        var model = new Model(inputs, outputs);
        model.Compile(optimizer: "adam", loss: "categorical_crossentropy", metrics: ["accuracy"]);
        var history = model.Fit(xTrain, yTrain, epochs: 1, batchSize: 32, verbose: 0);
        var result = model.Evaluate(xTest, yTest);
        Assert.True(history["accuracy"][0] > 0.88, $"train accuracy {history["accuracy"][0]}");
        Assert.True(result["accuracy"] > 0.94, $"test accuracy {result["accuracy"]}");
    }
}
