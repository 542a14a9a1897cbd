using Praxis.Layers;
using Praxis.Models;
using static Praxis.Keras;

namespace Praxis.Tests.Models;

/// <summary>Bad input gets an exception that names the problem.</summary>
[Collection("Global state")]
public class BadInputTests
{
    private static Model Compiled()
    {
        var model = KerasSemanticsTests.SeedModel();
        model.Compile("adam", "categorical_crossentropy", ["accuracy"]);
        return model;
    }

    [Fact]
    public void WrongInputWidthNamesInputAndShapes()
    {
        var model = Compiled();
        var ex = Assert.Throws<ShapeMismatchException>(() => model.Fit(Tensor.Zeros(10, 100), Tensor.Zeros(10, 10), verbose: 0));
        Assert.Contains("input_layer", ex.Message);
        Assert.Contains("(None, 784)", ex.Message);
        Assert.Contains("(10, 100)", ex.Message);
        Assert.Throws<ShapeMismatchException>(() => model.Predict(Tensor.Zeros(3, 28, 28)));
    }

    [Fact]
    public void WrongShapeIntoALayerNamesTheLayer()
    {
        var dense = new Dense(3, name: "probe");
        dense.Apply(Tensor.Zeros(2, 5));
        var ex = Assert.Throws<ShapeMismatchException>(() => dense.Apply(Tensor.Zeros(2, 6)));
        Assert.Contains("'probe'", ex.Message);
        Assert.Contains("(None, 5)", ex.Message);
        Assert.Contains("(2, 6)", ex.Message);
    }

    [Fact]
    public void MismatchedSampleCounts()
    {
        var model = Compiled();
        var ex = Assert.Throws<ArgumentException>(() => model.Fit(Tensor.Zeros(10, 784), Tensor.Zeros(9, 10), verbose: 0));
        Assert.Contains("10 samples", ex.Message);
        Assert.Contains("9", ex.Message);
    }

    [Fact]
    public void TargetsOfTheWrongWidth()
    {
        var model = Compiled();
        var ex = Assert.Throws<ShapeMismatchException>(() => model.Fit(Tensor.Zeros(4, 784), Tensor.Zeros(4, 9), verbose: 0));
        Assert.Contains("(4, 9)", ex.Message);
        Assert.Contains("(4, 10)", ex.Message);
    }

    [Fact]
    public void LabelsOutOfRange()
    {
        var ex = Assert.Throws<ArgumentException>(() => ToCategorical(Tensor.FromArray([1, 2, 12]), 10));
        Assert.Contains("Label 12", ex.Message);
        Assert.Contains("index 2", ex.Message);
        Assert.Throws<ArgumentException>(() => ToCategorical(Tensor.FromArray([1.5f]), 10));
        Assert.Throws<ArgumentException>(() => ToCategorical(Tensor.FromArray([-1f]), 10));

        var model = KerasSemanticsTests.SeedModel();
        model.Compile("adam", "sparse_categorical_crossentropy");
        var ex2 = Assert.Throws<ArgumentException>(() => model.Fit(Tensor.Zeros(4, 784), Tensor.FromArray([0, 3, 10, 1]), verbose: 0, shuffle: false));
        Assert.Contains("Label 10", ex2.Message);
        Assert.Contains("[0, 10)", ex2.Message);
    }

    [Fact]
    public void NaNInInputs()
    {
        var model = Compiled();
        var x = Tensor.Zeros(4, 784);
        x[2, 100] = float.NaN;
        var ex = Assert.Throws<ArgumentException>(() => model.Fit(x, Tensor.Zeros(4, 10), verbose: 0));
        Assert.Contains("NaN", ex.Message);
        Assert.Contains("x", ex.Message);
        Assert.Throws<ArgumentException>(() => model.Predict(x));
        var y = Tensor.Zeros(4, 10);
        y[0, 0] = float.PositiveInfinity;
        var ex2 = Assert.Throws<ArgumentException>(() => model.Evaluate(Tensor.Zeros(4, 784), y));
        Assert.Contains("infinite", ex2.Message);
    }

    [Fact]
    public void FitBeforeCompile()
    {
        var model = KerasSemanticsTests.SeedModel();
        var ex = Assert.Throws<InvalidOperationException>(() => model.Fit(Tensor.Zeros(4, 784), Tensor.Zeros(4, 10)));
        Assert.Contains("Compile", ex.Message);
    }

    [Fact]
    public void UnknownStrings()
    {
        var ex = Assert.Throws<ArgumentException>(() => new Dense(3, activation: "rellu"));
        Assert.Contains("rellu", ex.Message);
        Assert.Contains("relu", ex.Message);
        Assert.Throws<ArgumentException>(() => KerasSemanticsTests.SeedModel().Compile("adam", "categorical_crossentropyy"));
    }

    [Fact]
    public void DisconnectedGraph()
    {
        var a = Input(shape: [3]);
        var b = Input(shape: [3]);
        var out1 = new Dense(2).Apply(b);
        var ex = Assert.Throws<ArgumentException>(() => new Model(a, out1));
        Assert.Contains("disconnected", ex.Message);
    }
}
