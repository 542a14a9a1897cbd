using Praxis.Layers;
using Praxis.Models;
using Praxis.Optimizers;
using static Praxis.Keras;

namespace Praxis.Cli.Recipes;

/// <summary>
/// The seed program: MNIST flattened to 784 values, Dense(64, relu), Dense(10, softmax), Adam, categorical
/// cross-entropy, accuracy; 5 epochs of batch 32 (as <c>examples/SeedMlp</c>).
/// </summary>
public sealed class SeedMlpRecipe : Recipe
{
    /// <inheritdoc />
    public override string Name => "seed-mlp";

    /// <inheritdoc />
    public override string Description => "MNIST MLP: 784 -> Dense(64, relu) -> Dense(10, softmax), Adam";

    /// <summary>MNIST, or Fashion-MNIST (the same image size and ten classes).</summary>
    public override IReadOnlyList<string> Datasets { get; } = ["mnist", "fashion-mnist"];

    /// <inheritdoc />
    public override Model Build(RecipeSettings settings)
    {
        ClearSession();
        var inputs = Input(shape: [784]);
        var hidden = new Dense(64, activation: "relu").Apply(inputs);
        var outputs = new Dense(10, activation: "softmax").Apply(hidden);
        var model = new Model(inputs, outputs, name: "seed_mlp");
        model.Compile(new Adam((float)settings.LearningRate), "categorical_crossentropy", ["accuracy"]);
        return model;
    }

    /// <inheritdoc />
    public override Tensor PrepareInputs(Tensor images) => images.Reshape(-1, 784);
}
