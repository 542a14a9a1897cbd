using Praxis.IO;
using Praxis.IO.Onnx;

namespace Praxis.Models;

public partial class Model
{
    /// <summary>
    /// Saves the whole model to one file (Keras <c>model.save</c>): the architecture as JSON, the weights and, when
    /// compiled, the optimizer, loss, metrics and optimizer state, as a checksummed safetensors file written
    /// crash-safely. <see cref="Load"/> reads it back. See <see cref="ModelFile"/> for the layout.
    /// </summary>
    public void Save(string path, bool includeOptimizer = true) => ModelFile.Save(this, path, includeOptimizer);

    /// <summary>
    /// Loads a model saved by <see cref="Save"/> (Keras <c>keras.models.load_model</c>). With
    /// <paramref name="compile"/> it is compiled as saved, optimizer state included. Seeded layers (Dropout, the
    /// augmentation layers) continue their own generators from the saved state, so the loaded model's training-mode
    /// draws are those the saved one would make next (Keras 3 saves a SeedGenerator's state with the layer); with
    /// <paramref name="restoreRandomState"/> the global random generator is set back to its state at save time, so a
    /// resumed <c>Fit</c> shuffles exactly as an uninterrupted run. A malformed file raises
    /// <see cref="InvalidDataException"/> naming the file and the fault.
    /// </summary>
    public static Model Load(string path, bool compile = true, bool restoreRandomState = false) =>
        ModelFile.Load(path, compile, restoreRandomState);

    /// <summary>Saves only the weights, by name, as a safetensors file (Keras <c>save_weights</c>).</summary>
    public void SaveWeights(string path) => ModelFile.SaveWeights(this, path);

    /// <summary>
    /// Loads weights by name from a safetensors file (Keras <c>load_weights</c>); raises
    /// <see cref="InvalidDataException"/> (<see cref="WeightMismatch"/>) listing missing, unexpected and mis-shaped tensors (and changes nothing)
    /// when they do not fit. With <paramref name="strict"/> false, extra tensors in the file are ignored.
    /// </summary>
    public void LoadWeights(string path, bool strict = true) => ModelFile.LoadWeights(this, path, strict);

    /// <summary>The architecture as Keras-style JSON (Keras <c>to_json</c>); rebuild it with <see cref="FromJson"/>.</summary>
    public string ToJson(bool indented = false) => ModelConfig.ToJson(this, indented);

    /// <summary>A new model with fresh weights from <see cref="ToJson"/> output (Keras <c>model_from_json</c>).</summary>
    public static Model FromJson(string json) => ModelConfig.FromJson(json);

    /// <summary>
    /// Writes the model as an ONNX file (opset <paramref name="opset"/>, 26 by default, 13 to 26) for
    /// inference with ONNX Runtime and other engines. Inputs and outputs keep Keras' layouts (channels last); the
    /// batch dimension is symbolic. Layers without an ONNX converter raise <see cref="NotSupportedException"/>
    /// naming them. A text model (<see cref="StringInput"/> set) is exported from the text layer's output on, and its
    /// tokenizer settings and vocabulary are written beside it (<c>model.vocab.json</c>, see <see cref="OnnxStringInput"/>).
    /// See <see cref="OnnxExporter"/>.
    /// </summary>
    public void ExportOnnx(string path, int opset = OnnxExporter.DefaultOpset) => OnnxExporter.Export(this, path, opset);

    /// <summary>Set by <c>BackupAndRestore</c> in <c>OnTrainBegin</c>: the epoch <c>Fit</c> resumes from.</summary>
    internal int? ResumeEpoch { get; set; }
}
