using Praxis.Losses;
using Praxis.Models;
using Praxis.Optimizers;

namespace Praxis.Cli.Recipes;

/// <summary>
/// A recipe for a generative adversarial network: a generator that maps latent vectors to images and a discriminator
/// that scores images with a logit (real vs generated). <c>praxis train</c> trains it with its own loop
/// (<see cref="Training.GanTrainer"/>), not <c>Model.Fit</c>; the run keeps the generator as <c>model.praxis</c>.
/// </summary>
/// <remarks>
/// As a <see cref="Recipe"/>, <see cref="Build"/> gives the generator (what <c>summary</c> and <c>export</c> work on) and
/// <see cref="PrepareInputs"/> refuses: a generator does not classify pictures.
/// </remarks>
public abstract class GanRecipe : Recipe
{
    /// <summary>Length of the latent vector the generator takes.</summary>
    public abstract int LatentDim { get; }

    /// <summary>The discriminator's learning rate as a multiple of the generator's (<c>--learning-rate</c>).</summary>
    public abstract double DiscriminatorLearningRateFactor { get; }

    /// <summary>Builds the generator (latents (N, <see cref="LatentDim"/>) → images) and the discriminator (images → (N, 1) logits). Called after the random seed is set.</summary>
    public abstract (Model Generator, Model Discriminator) BuildModels();

    /// <summary>The optimizers of the generator and the discriminator for the given learning rates.</summary>
    public abstract (Optimizer Generator, Optimizer Discriminator) BuildOptimizers(double generatorLearningRate, double discriminatorLearningRate);

    /// <summary>The adversarial loss, computed as <c>Compute(target, discriminatorLogits)</c> with targets 1 (real) and 0 (generated).</summary>
    public abstract Loss BuildLoss();

    /// <summary>Turns dataset images (N, H, W) in [0, 1] into what the discriminator sees as real, in the generator's output range.</summary>
    public abstract Tensor PrepareReal(Tensor images);

    /// <summary>Turns generator output back into images in [0, 1] (for the judge and for pictures).</summary>
    public abstract Tensor ToUnitRange(Tensor generated);

    /// <summary>The generator's output range (for PNG grids).</summary>
    public abstract (float Low, float High) OutputRange { get; }

    /// <summary>The generator (uncompiled): what <c>praxis summary</c> shows and a run keeps as <c>model.praxis</c>.</summary>
    public sealed override Model Build(RecipeSettings settings) => BuildModels().Generator;

    /// <summary>Always throws: a generator maps latent vectors to images; it does not classify pictures.</summary>
    public sealed override Tensor PrepareInputs(Tensor images) =>
        throw new CliException($"recipe '{Name}' trains a generator, which maps latent vectors to images; it does not classify pictures.");
}
