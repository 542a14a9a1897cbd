using Praxis.Layers;
using Praxis.Losses;
using Praxis.Models;
using Praxis.Optimizers;
using static Praxis.Keras;

namespace Praxis.Cli.Recipes;

/// <summary>
/// The DCGAN of <c>examples/Dcgan</c> (issue 8) as a recipe: a generator that draws 28×28 MNIST digits from 100 latent
/// values (the TensorFlow DCGAN tutorial's: a stride-1 stage at 7×7, then two stride-2 stages, 5×5 kernels) and a small
/// convolutional discriminator, trained adversarially with Adam (β₁ 0.5), the discriminator at twice the
/// generator's learning rate, BinaryCrossentropy on logits, batch 64, 20 epochs, MNIST scaled to [-1, 1] for tanh.
/// </summary>
/// <remarks>
/// Architectures and GAN hyper-parameters live in one block below ("THE GAN"), so changing the model is an edit there.
/// Every run is judged by an MNIST classifier (<see cref="Training.Judge"/>).
/// </remarks>
public sealed class DcganRecipe : GanRecipe
{
    /// <inheritdoc />
    public override string Name => "dcgan";

    /// <inheritdoc />
    public override string Description =>
        "MNIST DCGAN: z(100) -> Dense(7x7x256) -> Conv2DTranspose 128 (5x5) -> 64 (5x5, s2) -> 1 (5x5, s2, tanh), BN + LeakyReLU between; discriminator Conv2D 64 -> 128 (4x4, s2) -> Dense(1) logit; Adam(beta1 0.5), D at 2x lr";

    // =====================================================================================================================
    // THE GAN: architectures and hyper-parameters (keep in step with examples/Dcgan/Program.cs; change them here only)
    // =====================================================================================================================

    /// <inheritdoc />
    public override int LatentDim => 100;

    /// <summary>Generator channels after the Dense layer (then 1/2 and 1/4 of it); the example's <c>--g-width</c>.</summary>
    public const int GeneratorWidth = 256;

    /// <summary>Discriminator filters at 14×14 (doubled at 7×7); the example's <c>--d-width</c>.</summary>
    public const int DiscriminatorWidth = 64;

    /// <summary>Adam's β₁ for both networks (the DCGAN paper's 0.5).</summary>
    public const float Beta1 = 0.5f;

    /// <inheritdoc />
    public override int DefaultEpochs => 20;

    /// <inheritdoc />
    public override int DefaultBatchSize => 64;

    /// <summary>The generator's learning rate; the discriminator's is <see cref="DiscriminatorLearningRateFactor"/> times it.</summary>
    public override double DefaultLearningRate => 2e-4;

    /// <inheritdoc />
    public override double DiscriminatorLearningRateFactor => 2; // two time-scale rule: D at 4e-4 (bench/RESULTS.md)

    /// <inheritdoc />
    public override (Model Generator, Model Discriminator) BuildModels()
    {
        ClearSession();
        var generator = new Sequential(
        [
            new InputLayer([LatentDim]),
            new Dense(7 * 7 * GeneratorWidth, useBias: false),
            new BatchNormalization(),
            new LeakyReLU(0.2f),
            new Reshape([7, 7, GeneratorWidth]),
            new Conv2DTranspose(GeneratorWidth / 2, 5, strides: 1, padding: "same", useBias: false),
            new BatchNormalization(),
            new LeakyReLU(0.2f),
            new Conv2DTranspose(GeneratorWidth / 4, 5, strides: 2, padding: "same", useBias: false),
            new BatchNormalization(),
            new LeakyReLU(0.2f),
            new Conv2DTranspose(1, 5, strides: 2, padding: "same", activation: "tanh"),
        ], name: "generator");
        var discriminator = new Sequential(
        [
            new InputLayer([28, 28, 1]),
            new Conv2D(DiscriminatorWidth, 4, strides: 2, padding: "same"),
            new LeakyReLU(0.2f),
            new Conv2D(2 * DiscriminatorWidth, 4, strides: 2, padding: "same"),
            new LeakyReLU(0.2f),
            new Flatten(),
            new Dense(1),
        ], name: "discriminator");
        return (generator, discriminator);
    }

    /// <inheritdoc />
    public override (Optimizer Generator, Optimizer Discriminator) BuildOptimizers(double generatorLearningRate, double discriminatorLearningRate) =>
        (new Adam((float)generatorLearningRate, beta1: Beta1), new Adam((float)discriminatorLearningRate, beta1: Beta1));

    /// <inheritdoc />
    public override Loss BuildLoss() => new BinaryCrossentropy(fromLogits: true);

    /// <inheritdoc />
    public override Tensor PrepareReal(Tensor images) => images.Reshape(-1, images.Shape[1], images.Shape[2], 1) * 2f - 1f; // [0, 1] -> [-1, 1]

    /// <inheritdoc />
    public override Tensor ToUnitRange(Tensor generated) => (generated + 1f) * 0.5f;

    /// <inheritdoc />
    public override (float Low, float High) OutputRange => (-1f, 1f);

    // =====================================================================================================================
}
