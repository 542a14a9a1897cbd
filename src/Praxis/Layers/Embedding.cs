using Praxis.Initializers;
using Praxis.Regularizers;

namespace Praxis.Layers;

/// <summary>
/// Turns integer ids (stored as floats) into dense vectors (Keras <c>Embedding</c>): ids of any shape (…) → (…, outputDim),
/// row lookups in an (inputDim, outputDim) table. Defaults as Keras: uniform initializer in [−0.05, 0.05].
/// With <see cref="MaskZero"/>, id 0 is padding: the output carries a mask (ids ≠ 0) that recurrent and attention layers
/// honour (so the vocabulary should reserve id 0). An id outside [0, inputDim) raises an error naming the layer, the id
/// and its position.
/// </summary>
public class Embedding : Layer
{
    /// <summary>Creates the layer.</summary>
    /// <param name="inputDim">Vocabulary size: ids must be in [0, inputDim).</param>
    /// <param name="outputDim">Size of each vector.</param>
    /// <param name="embeddingsInitializer">Default <c>RandomUniform(-0.05, 0.05)</c> (Keras' "uniform").</param>
    /// <param name="maskZero">Treat id 0 as padding and emit a mask.</param>
    /// <param name="name">Layer name; generated when null.</param>
    /// <param name="embeddingsRegularizer">Penalty on the table (<c>"l2"</c>, <c>new L1(1e-4f)</c>, …), added to the loss.</param>
    /// <param name="activityRegularizer">Penalty on the output vectors.</param>
    public Embedding(int inputDim, int outputDim, Initializer? embeddingsInitializer = null, bool maskZero = false, string? name = null,
        Regularizer? embeddingsRegularizer = null, Regularizer? activityRegularizer = null) : base(name)
    {
        EmbeddingsRegularizer = embeddingsRegularizer;
        ActivityRegularizer = activityRegularizer;
        if (inputDim <= 0) throw new ArgumentOutOfRangeException(nameof(inputDim), $"Embedding needs a positive input_dim (vocabulary size); got {inputDim}.");
        if (outputDim <= 0) throw new ArgumentOutOfRangeException(nameof(outputDim), $"Embedding needs a positive output_dim; got {outputDim}.");
        InputDim = inputDim;
        OutputDim = outputDim;
        EmbeddingsInitializer = embeddingsInitializer ?? new RandomUniform();
        MaskZero = maskZero;
    }

    /// <summary>The vocabulary size.</summary>
    public int InputDim { get; }

    /// <summary>The vector size.</summary>
    public int OutputDim { get; }

    /// <summary>The table initializer.</summary>
    public Initializer EmbeddingsInitializer { get; }

    /// <summary>The table's penalty (Keras <c>embeddings_regularizer</c>), if any.</summary>
    public Regularizer? EmbeddingsRegularizer { get; }

    /// <summary>Whether id 0 is padding (masked).</summary>
    public bool MaskZero { get; }

    /// <summary>The (inputDim, outputDim) table, once built.</summary>
    public Tensor Embeddings { get; private set; } = null!;

    /// <inheritdoc />
    public override void Build(Shape inputShape)
    {
        Embeddings = AddWeight("embeddings", new Shape(InputDim, OutputDim), EmbeddingsInitializer, regularizer: EmbeddingsRegularizer);
        Built = true;
    }

    /// <summary>The lookup: ids (…) → (…, outputDim), with the mask attached when <see cref="MaskZero"/>.</summary>
    protected Tensor Lookup(Tensor ids)
    {
        var y = Embeddings.Take(ids, 0, $"Layer '{Name}' ({GetType().Name})");
        if (MaskZero) y.Mask = ids.NotEqual(0f);
        return y;
    }

    /// <inheritdoc />
    public override Tensor Call(Tensor input, bool training) => Lookup(input);

    /// <inheritdoc />
    public override Shape[] ComputeOutputShapes(Shape[] inputShapes) => [new Shape([.. inputShapes[0].Dims, OutputDim])];

    /// <summary>Rebuilds the layer from its saved config (<see cref="GetConfig"/>); every default is written here once.</summary>
    public static Embedding FromConfig(LayerConfig c) => new Embedding(c.GetInt("input_dim"), c.GetInt("output_dim"), c.GetInitializer("embeddings_initializer", "random_uniform"),
        c.GetBool("mask_zero", false), c.Name, c.GetRegularizer("embeddings_regularizer"), c.GetRegularizer("activity_regularizer"));

    /// <inheritdoc />
    public override Dictionary<string, object?> GetConfig()
    {
        var c = base.GetConfig();
        c["input_dim"] = InputDim;
        c["output_dim"] = OutputDim;
        c["embeddings_initializer"] = EmbeddingsInitializer.ToConfigValue();
        c["mask_zero"] = MaskZero;
        // Written only when set, so files without regularizers keep their exact bytes.
        if (EmbeddingsRegularizer != null) c["embeddings_regularizer"] = EmbeddingsRegularizer.ToConfigValue();
        if (ActivityRegularizer != null) c["activity_regularizer"] = ActivityRegularizer.ToConfigValue();
        return c;
    }
}

/// <summary>
/// An embedding that can also run in reverse, projecting vectors back to vocabulary logits (KerasHub
/// <c>ReversibleEmbedding</c>), the usual way to tie a language model's input embedding and output head. Called normally
/// it is an <see cref="Embedding"/>; called with the argument <c>reverse = true</c> (see
/// <see cref="ApplyReverse(SymbolicTensor)"/>) it maps (…, outputDim) to (…, inputDim): x·Eᵀ with the same table when
/// <see cref="TieWeights"/>, else with a separate (outputDim, inputDim) <c>reverse_embeddings</c> matrix.
/// </summary>
public sealed class ReversibleEmbedding : Embedding
{
    /// <summary>Creates the layer; see <see cref="Embedding"/> for the shared arguments.</summary>
    /// <param name="inputDim">Vocabulary size.</param>
    /// <param name="outputDim">Size of each vector.</param>
    /// <param name="tieWeights">Reverse with the embedding table itself (default true) rather than a separate matrix.</param>
    /// <param name="embeddingsInitializer">Default <c>RandomUniform(-0.05, 0.05)</c>.</param>
    /// <param name="maskZero">Treat id 0 as padding and emit a mask.</param>
    /// <param name="name">Layer name; generated when null.</param>
    /// <param name="embeddingsRegularizer">Penalty on the embedding table (Keras <c>embeddings_regularizer</c>, passed to
    /// <c>Embedding</c> as KerasHub does); an untied <c>reverse_embeddings</c> matrix is not penalised, as in KerasHub.</param>
    /// <param name="activityRegularizer">Penalty on every output, the reverse call's logits included.</param>
    public ReversibleEmbedding(int inputDim, int outputDim, bool tieWeights = true, Initializer? embeddingsInitializer = null,
        bool maskZero = false, string? name = null, Regularizer? embeddingsRegularizer = null, Regularizer? activityRegularizer = null)
        : base(inputDim, outputDim, embeddingsInitializer, maskZero, name, embeddingsRegularizer, activityRegularizer)
    {
        TieWeights = tieWeights;
    }

    /// <summary>Whether the reverse projection uses the embedding table itself (default true).</summary>
    public bool TieWeights { get; }

    /// <summary>The untied (outputDim, inputDim) reverse projection, once built (null when tied).</summary>
    public Tensor? ReverseEmbeddings { get; private set; }

    private static readonly IReadOnlyDictionary<string, object?> Reverse = new Dictionary<string, object?> { ["reverse"] = true };

    /// <inheritdoc />
    public override void Build(Shape inputShape)
    {
        base.Build(inputShape);
        if (!TieWeights) ReverseEmbeddings = AddWeight("reverse_embeddings", new Shape(OutputDim, InputDim), EmbeddingsInitializer);
    }

    /// <summary>Calls the layer in reverse on a symbolic tensor (…, outputDim) → logits (…, inputDim).</summary>
    public SymbolicTensor ApplyReverse(SymbolicTensor x) => ApplyMany([x], Reverse)[0];

    /// <summary>Calls the layer in reverse on a concrete tensor.</summary>
    public Tensor ApplyReverse(Tensor x) => ApplyMany([x], Reverse)[0];

    /// <inheritdoc />
    public override Tensor[] Call(Tensor[] inputs, bool training, IReadOnlyDictionary<string, object?> arguments)
    {
        CheckArguments(arguments, "reverse");
        if (inputs.Length != 1) throw new ArgumentException($"Layer '{Name}' (ReversibleEmbedding) takes one input; got {inputs.Length}.");
        if (!Argument(arguments, "reverse", false)) return [Lookup(inputs[0])];
        var x = inputs[0];
        if (x.Rank < 1 || x.Shape[-1] != OutputDim)
            throw new ShapeMismatchException($"Layer '{Name}' (ReversibleEmbedding) in reverse expects input (…, {OutputDim}); got shape {x.Shape}.");
        return [Tensor.Linear(x, ReverseEmbeddings ?? Embeddings.Transpose())];
    }

    /// <inheritdoc />
    public override Shape[] ComputeOutputShapes(Shape[] inputShapes, IReadOnlyDictionary<string, object?> arguments) =>
        Argument(arguments, "reverse", false) ? [inputShapes[0].With(-1, InputDim)] : ComputeOutputShapes(inputShapes);

    /// <summary>Rebuilds the layer from its saved config (<see cref="GetConfig"/>); every default is written here once.</summary>
    public static new ReversibleEmbedding FromConfig(LayerConfig c) => new ReversibleEmbedding(c.GetInt("input_dim"), c.GetInt("output_dim"), c.GetBool("tie_weights", true),
        c.GetInitializer("embeddings_initializer", "random_uniform"), c.GetBool("mask_zero", false), c.Name,
        c.GetRegularizer("embeddings_regularizer"), c.GetRegularizer("activity_regularizer"));

    /// <inheritdoc />
    public override Dictionary<string, object?> GetConfig()
    {
        var c = base.GetConfig();
        c["tie_weights"] = TieWeights;
        return c;
    }
}

/// <summary>
/// Learned position embeddings (KerasHub <c>PositionEmbedding</c>): for input (batch, time, features) it returns the
/// first <c>time</c> rows of a (sequenceLength, features) table broadcast to the input's shape, to be added to token
/// embeddings. A sequence longer than <see cref="SequenceLength"/> raises an error naming both lengths. Default
/// initializer Glorot uniform, as KerasHub.
/// </summary>
public sealed class PositionEmbedding : Layer
{
    /// <summary>Creates the layer.</summary>
    /// <param name="sequenceLength">The longest sequence the table covers.</param>
    /// <param name="initializer">Default Glorot uniform.</param>
    /// <param name="name">Layer name; generated when null.</param>
    public PositionEmbedding(int sequenceLength, Initializer? initializer = null, string? name = null) : base(name)
    {
        if (sequenceLength <= 0) throw new ArgumentOutOfRangeException(nameof(sequenceLength), $"PositionEmbedding needs a positive sequence_length; got {sequenceLength}.");
        SequenceLength = sequenceLength;
        Initializer = initializer ?? new GlorotUniform();
        SupportsMasking = true;
    }

    /// <summary>The number of positions in the table.</summary>
    public int SequenceLength { get; }

    /// <summary>The table initializer.</summary>
    public Initializer Initializer { get; }

    /// <summary>The (sequenceLength, features) table, once built.</summary>
    public Tensor Embeddings { get; private set; } = null!;

    /// <inheritdoc />
    public override void Build(Shape inputShape)
    {
        if (inputShape.Rank < 2 || inputShape[-1] <= 0)
            throw new ShapeMismatchException($"Layer '{Name}' (PositionEmbedding) expects input (batch, time, features) with known features; got shape {inputShape}.");
        CheckLength(inputShape);
        Embeddings = AddWeight("embeddings", new Shape(SequenceLength, inputShape[-1]), Initializer);
        InputSpec = new InputSpec(minRank: 2, axes: new Dictionary<int, int> { [-1] = inputShape[-1] });
        Built = true;
    }

    private void CheckLength(Shape s)
    {
        int t = s[-2];
        if (t > SequenceLength)
            throw new ShapeMismatchException($"Layer '{Name}' (PositionEmbedding): the sequence has {t} positions but the position table has only sequence_length = {SequenceLength} (input shape {s}).");
    }

    /// <inheritdoc />
    protected override void CheckInputShapes(Shape[] shapes)
    {
        base.CheckInputShapes(shapes);
        CheckLength(shapes[0]);
    }

    /// <inheritdoc />
    public override Tensor Call(Tensor input, bool training)
    {
        CheckLength(input.Shape);
        int t = input.Shape[-2];
        var table = t == SequenceLength ? Embeddings : Embeddings.Slice(0, 0, t);
        return table.BroadcastTo(input.Shape.ToArray());
    }

    /// <inheritdoc />
    public override Shape[] ComputeOutputShapes(Shape[] inputShapes) => [inputShapes[0]];

    /// <summary>Rebuilds the layer from its saved config (<see cref="GetConfig"/>); every default is written here once.</summary>
    public static PositionEmbedding FromConfig(LayerConfig c) => new PositionEmbedding(c.GetInt("sequence_length"), c.GetInitializer("initializer", "glorot_uniform"), c.Name);

    /// <inheritdoc />
    public override Dictionary<string, object?> GetConfig()
    {
        var c = base.GetConfig();
        c["sequence_length"] = SequenceLength;
        c["initializer"] = Initializer.ToConfigValue();
        return c;
    }
}
