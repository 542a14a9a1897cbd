using Praxis.Layers;
using Praxis.Models;
using Praxis.Optimizers;
using static Praxis.Keras;

namespace Praxis.Cli.Recipes;

/// <summary>
/// Keras' "simple MNIST convnet", as <c>examples/MnistCnn</c> builds it: 28×28×1 images, Conv2D(32, 3×3, relu),
/// MaxPooling2D(2×2), Conv2D(64, 3×3, relu), MaxPooling2D(2×2), Flatten, Dropout(0.5), Dense(10, softmax); Adam,
/// categorical cross-entropy, accuracy; batch 128 and 12 epochs (the example's default; Keras' page trains 15).
/// </summary>
/// <remarks>
/// The recipe reshapes images (N, 28, 28) to channels-last (N, 28, 28, 1) in <see cref="PrepareInputs"/>, as the
/// example's <c>np.expand_dims(x, -1)</c>, so the model's input is Keras' (28, 28, 1) and its ONNX export takes NHWC.
/// <c>praxis evaluate</c> and <c>predict</c> call the same method, so pictures go through the same path as for seed-mlp.
/// </remarks>
public sealed class MnistCnnRecipe : Recipe
{
    /// <inheritdoc />
    public override string Name => "mnist-cnn";

    /// <inheritdoc />
    public override string Description => "MNIST convnet: Conv2D(32) -> MaxPool -> Conv2D(64) -> MaxPool -> Flatten -> Dropout(0.5) -> Dense(10, softmax), Adam";

    /// <inheritdoc />
    public override int DefaultEpochs => 12;

    /// <inheritdoc />
    public override int DefaultBatchSize => 128;

    /// <summary>MNIST, or Fashion-MNIST (the same image size and ten classes).</summary>
    public override IReadOnlyList<string> Datasets { get; } = ["mnist", "fashion-mnist"];

    /// <inheritdoc />
    public override Model Build(RecipeSettings settings)
    {
        ClearSession();
        var model = new Sequential(
        [
            new InputLayer([28, 28, 1]),
            new Conv2D(32, kernelSize: (3, 3), activation: "relu"),
            new MaxPooling2D(poolSize: (2, 2)),
            new Conv2D(64, kernelSize: (3, 3), activation: "relu"),
            new MaxPooling2D(poolSize: (2, 2)),
            new Flatten(),
            new Dropout(0.5f),
            new Dense(10, activation: "softmax"),
        ], name: "mnist_cnn");
        model.Compile(new Adam((float)settings.LearningRate), "categorical_crossentropy", ["accuracy"]);
        return model;
    }

    /// <inheritdoc />
    public override Tensor PrepareInputs(Tensor images) => images.Reshape(-1, images.Shape[1], images.Shape[2], 1);
}
