using Praxis.Callbacks;
using Praxis.Layers;

namespace Praxis.Models;

public partial class Model
{
    /// <summary>
    /// A text preprocessing layer (<see cref="TextVectorization"/>, <see cref="StringLookup"/>, <see cref="Hashing"/>)
    /// run on raw strings before the model: the Praxis form of Keras' end-to-end model
    /// <c>keras.Model(string_input, model(vectorize_layer(string_input)))</c>. With it set,
    /// <see cref="Predict(IReadOnlyList{string}, int, IEnumerable{Callback}?)"/> and
    /// <see cref="Evaluate(IReadOnlyList{string}, Tensor, int, int, IEnumerable{Callback}?)"/> take strings, and
    /// <see cref="Save"/> stores the layer (its vocabulary included) in the model file, so a loaded model predicts on text.
    /// </summary>
    public StringLayer? StringInput { get; set; }

    /// <summary>Runs <see cref="StringInput"/> on a batch of strings, one per sample; a clear error when there is none.</summary>
    public Tensor Vectorize(IReadOnlyList<string> texts)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var layer = StringInput ?? throw new InvalidOperationException(
            $"Model '{Name}' has no StringInput: set model.StringInput = a TextVectorization (adapted on the training texts) to predict on strings.");
        return layer.Apply(texts);
    }

    /// <summary>Predicts on raw strings: <see cref="StringInput"/>, then the model (Keras' end-to-end text model).</summary>
    public Tensor Predict(IReadOnlyList<string> texts, int batchSize = 32, IEnumerable<Callback>? callbacks = null) =>
        Predict(Vectorize(texts), batchSize, callbacks);

    /// <summary>Evaluates on raw strings and their targets: <see cref="StringInput"/>, then <c>Evaluate</c>.</summary>
    public Dictionary<string, double> Evaluate(IReadOnlyList<string> texts, Tensor y, int batchSize = 32, int verbose = 0, IEnumerable<Callback>? callbacks = null) =>
        Evaluate(Vectorize(texts), y, batchSize, verbose, callbacks);
}
