using Praxis.Layers;

namespace Praxis;

/// <summary>
/// Keras-style entry points. With <c>using static Praxis.Keras;</c> the seed program reads as in Python:
/// <c>var inputs = Input(shape: [784]);</c>.
/// </summary>
public static class Keras
{
    /// <summary>
    /// A symbolic input of per-sample <paramref name="shape"/> (Keras <c>keras.Input</c>); the batch dimension is added
    /// and unknown (<c>None</c>) unless <paramref name="batchSize"/> is given.
    /// </summary>
    public static SymbolicTensor Input(int[] shape, string? name = null, int? batchSize = null) =>
        new InputLayer(shape, batchSize, name).Output;

    /// <summary>Resets automatic layer names (Keras <c>keras.backend.clear_session</c>).</summary>
    public static void ClearSession() => Layer.ResetNames();

    /// <summary>
    /// One-hot encodes integer class ids (Keras <c>to_categorical</c>): labels (N) or (N, 1) → (N, numClasses).
    /// A label that is not an integer in [0, numClasses) raises an error naming it and its position.
    /// </summary>
    public static Tensor ToCategorical(Tensor labels, int numClasses)
    {
        if (numClasses <= 0) throw new ArgumentOutOfRangeException(nameof(numClasses), "numClasses must be positive.");
        int n = labels.Rank == 0 ? 1 : labels.Shape[0];
        if (labels.Size != n) throw new ShapeMismatchException($"ToCategorical expects labels of shape (N) or (N, 1); got {labels.Shape}.");
        var result = new Tensor(new Shape(n, numClasses));
        ReadOnlySpan<float> src = labels.Span;
        Span<float> dst = result.Span;
        for (int i = 0; i < n; i++)
        {
            float v = src[i];
            int c = (int)v;
            if (c != v || c < 0 || c >= numClasses)
                throw new ArgumentException($"Label {v} at index {i} is out of range: class ids must be integers in [0, {numClasses}).");
            dst[i * numClasses + c] = 1f;
        }
        return result;
    }

    /// <summary>Seeds every default random source (Keras <c>keras.utils.set_random_seed</c>).</summary>
    public static void SetRandomSeed(int seed) => Rng.SetSeed(seed);
}
