using Praxis.Data;
using Praxis.Layers;
using Praxis.Models;
using Praxis.Optimizers;
using static Praxis.Keras;

namespace Praxis.Cli.Recipes;

/// <summary>A labelled text dataset: raw texts and labels (N) holding class ids.</summary>
public sealed record TextData(IReadOnlyList<string> TrainText, Tensor TrainY, IReadOnlyList<string> TestText, Tensor TestY, IReadOnlyList<string> ClassNames);

/// <summary>
/// A recipe whose model reads text: <see cref="Recipe.Build"/> gives a model whose <see cref="Model.StringInput"/> is an
/// unadapted <see cref="TextVectorization"/>; <c>praxis train</c> adapts it on the training texts (the part that is not
/// held out for validation), and the run's model file keeps the vocabulary, so <c>evaluate</c> and <c>predict</c> take
/// raw text.
/// </summary>
public abstract class TextRecipe : Recipe
{
    /// <summary>Loads the texts (train and test) of the recipe's dataset.</summary>
    public abstract TextData LoadText();

    /// <summary>The text layer of a model built by this recipe.</summary>
    public static TextVectorization Vectorizer(Model model, string recipe) => model.StringInput as TextVectorization
        ?? throw new CliException($"recipe '{recipe}' built a model without a TextVectorization as its StringInput.");

    /// <summary>Always throws: a text recipe reads text, not pictures.</summary>
    public sealed override Tensor PrepareInputs(Tensor images) =>
        throw new CliException($"recipe '{Name}' classifies text, not pictures: give praxis predict a text file or a line of text.");

    /// <summary>Binary labels (N) become the sigmoid output's targets (N, 1).</summary>
    public override Tensor PrepareTargets(Tensor labels, int classes) =>
        classes == 2 ? labels.Reshape(-1, 1) : ToCategorical(labels, classes);
}

/// <summary>
/// keras.io's "Text classification from scratch" convnet on the SpamAssassin public corpus (<c>data/spam-assassin</c>,
/// split by <see cref="SpamAssassin.Split"/> with seed 42, 80/20): TextVectorization(max_tokens 20000,
/// output_sequence_length 500) → Embedding(20000, 128) → Dropout(0.5) → Conv1D(128, 7, strides 3, relu) ×2 →
/// GlobalMaxPooling1D → Dense(128, relu) → Dropout(0.5) → Dense(1, sigmoid); Adam, binary cross-entropy, accuracy;
/// 3 epochs of 32, as <c>examples/TextClassification</c>.
/// </summary>
/// <remarks>
/// The training messages are put in a fixed shuffled order (Rng(42), independent of <c>--seed</c>) because the archive
/// lists ham before spam: Keras' <c>validation_split</c> takes the last fraction, which would otherwise be all spam, and
/// <c>--samples N</c> the first N, which would be all ham.
/// </remarks>
public sealed class TextCnnRecipe : TextRecipe
{
    /// <summary>Vocabulary size (the vectorizer's max_tokens and the embedding's input_dim).</summary>
    public const int MaxTokens = 20000;

    /// <summary>Tokens per message (output_sequence_length).</summary>
    public const int SequenceLength = 500;

    /// <inheritdoc />
    public override string Name => "text-cnn";

    /// <inheritdoc />
    public override string Description => "SpamAssassin spam/ham: TextVectorization -> Embedding(128) -> Conv1D(128, 7) x2 -> GlobalMaxPooling1D -> Dense(128) -> Dense(1, sigmoid), Adam";

    /// <inheritdoc />
    public override string Dataset => "spam-assassin";

    /// <inheritdoc />
    public override int DefaultEpochs => 3;

    /// <inheritdoc />
    public override Model Build(RecipeSettings settings)
    {
        ClearSession();
        var inputs = Input([SequenceLength], name: "token_ids");
        var x = new Embedding(MaxTokens, 128).Apply(inputs);
        x = new Dropout(0.5f).Apply(x);
        x = new Conv1D(128, 7, padding: "valid", activation: "relu", strides: 3).Apply(x);
        x = new Conv1D(128, 7, padding: "valid", activation: "relu", strides: 3).Apply(x);
        x = new GlobalMaxPooling1D().Apply(x);
        x = new Dense(128, activation: "relu").Apply(x);
        x = new Dropout(0.5f).Apply(x);
        var predictions = new Dense(1, activation: "sigmoid", name: "predictions").Apply(x);
        var model = new Model(inputs, predictions, name: "text_cnn")
        {
            StringInput = new TextVectorization(maxTokens: MaxTokens, outputMode: "int", outputSequenceLength: SequenceLength),
        };
        model.Compile(new Adam((float)settings.LearningRate), "binary_crossentropy", ["accuracy"]);
        return model;
    }

    /// <inheritdoc />
    public override TextData LoadText() => SpamAssassinDataset.LoadText();
}
