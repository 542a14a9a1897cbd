using Praxis.Models;

namespace Praxis.Cli.Recipes;

/// <summary>The settings a recipe builds its model with (the rest of a run's config is the trainer's).</summary>
/// <param name="LearningRate">The optimizer's learning rate.</param>
public sealed record RecipeSettings(double LearningRate);

/// <summary>
/// A named, reproducible training setup for <c>praxis train NAME</c>: the dataset, the model (compiled), how images
/// become model inputs, and default hyper-parameters. Add one class per recipe and list it in <see cref="RecipeRegistry.All"/>.
/// </summary>
public abstract class Recipe
{
    /// <summary>The name used on the command line, e.g. <c>seed-mlp</c>.</summary>
    public abstract string Name { get; }

    /// <summary>One line for <c>praxis train --help</c> and <c>praxis summary</c>.</summary>
    public abstract string Description { get; }

    /// <summary>The default dataset's name (see <see cref="DatasetRegistry"/>).</summary>
    public virtual string Dataset => "mnist";

    /// <summary>Every dataset the recipe can train on (<c>praxis train --dataset</c>); the default first.</summary>
    public virtual IReadOnlyList<string> Datasets => [Dataset];

    /// <summary>The dataset a run trains on: <paramref name="requested"/> (by <c>--dataset</c>) or the default; an error names the ones the recipe takes.</summary>
    public DatasetInfo ResolveDataset(string? requested)
    {
        if (requested == null) return DatasetRegistry.Get(Dataset);
        var dataset = DatasetRegistry.Get(requested);
        if (!Datasets.Contains(dataset.Name))
            throw new CliException($"recipe '{Name}' does not train on '{dataset.Name}' (--dataset); it takes: {string.Join(", ", Datasets)}.");
        return dataset;
    }

    /// <summary>Default number of epochs.</summary>
    public virtual int DefaultEpochs => 5;

    /// <summary>Default batch size.</summary>
    public virtual int DefaultBatchSize => 32;

    /// <summary>Default learning rate.</summary>
    public virtual double DefaultLearningRate => 1e-3;

    /// <summary>Fraction of the training set held out for validation curves (Keras <c>validation_split</c>).</summary>
    public virtual double DefaultValidationSplit => 0.1;

    /// <summary>Builds and compiles the model. Called after the random seed is set.</summary>
    public abstract Model Build(RecipeSettings settings);

    /// <summary>Turns images (N, H, W) in [0, 1] into the model's input.</summary>
    public abstract Tensor PrepareInputs(Tensor images);

    /// <summary>Turns labels (N) of class ids into the model's target (one-hot by default).</summary>
    public virtual Tensor PrepareTargets(Tensor labels, int classes) => Keras.ToCategorical(labels, classes);
}

/// <summary>The recipes <c>praxis train</c> knows.</summary>
public static class RecipeRegistry
{
    /// <summary>Every registered recipe, in the order <c>--help</c> lists them.</summary>
    public static IReadOnlyList<Recipe> All { get; } = [new SeedMlpRecipe(), new MnistCnnRecipe(), new DcganRecipe(), new TextCnnRecipe()];

    /// <summary>A recipe by name, or an error listing the known ones.</summary>
    public static Recipe Get(string name) =>
        All.FirstOrDefault(r => string.Equals(r.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new CliException($"unknown recipe '{name}'. Known recipes: {string.Join(", ", All.Select(r => r.Name))}.");
}
