namespace Praxis.Layers;

/// <summary>
/// The entry point of a functional model: it has no weights and produces the symbolic tensor returned by
/// <see cref="Keras.Input"/>. In a <see cref="Praxis.Models.Sequential"/> it declares the input shape.
/// </summary>
public sealed class InputLayer : Layer
{
    /// <summary>Creates an input of per-sample <paramref name="shape"/> (no batch dimension; −1 for unknown sizes).</summary>
    public InputLayer(int[] shape, int? batchSize = null, string? name = null) : base(name)
    {
        SampleShape = new Shape(shape);
        BatchSize = batchSize;
        Built = true;
        var node = new Node(this, []);
        Output = new SymbolicTensor(SampleShape.Prepend(batchSize ?? -1), node, 0, Name);
        node.Outputs = [Output];
    }

    /// <summary>The per-sample shape.</summary>
    public Shape SampleShape { get; }

    /// <summary>A fixed batch size, if declared.</summary>
    public int? BatchSize { get; }

    /// <summary>The symbolic tensor this layer produces.</summary>
    public SymbolicTensor Output { get; }

    /// <inheritdoc />
    public override Tensor Call(Tensor input, bool training) => input;

    /// <inheritdoc />
    public override Shape[] ComputeOutputShapes(Shape[] inputShapes) => inputShapes;

    /// <summary>Rebuilds the input layer from its saved config (Praxis' <c>shape</c> or Keras 3's <c>batch_shape</c>).</summary>
    public static InputLayer FromConfig(LayerConfig c)
    {
        int[] shape;
        int? batch = c.GetOptionalInt("batch_size");
        if (c.Has("shape")) shape = c.GetIntArray("shape");
        else if (c.Has("batch_shape"))
        {
            // Keras 3 writes batch_shape = [batch or null, ...sample dims].
            var bs = c.GetIntArray("batch_shape", 65);
            if (bs.Length == 0) throw c.Error("'batch_shape' must include the batch dimension.");
            shape = bs[1..];
            if (bs[0] >= 0) batch ??= bs[0];
        }
        else throw c.Error("config needs 'shape' (or Keras' 'batch_shape').");
        if (batch is < 0) throw c.Error($"'batch_size' must be positive; got {batch}.");
        c.Context.CheckInputShape(c.Name ?? "?", shape);
        return new InputLayer(shape, batch, c.Name);
    }

    /// <inheritdoc />
    public override Dictionary<string, object?> GetConfig()
    {
        var c = base.GetConfig();
        c["shape"] = SampleShape.ToArray();
        c["batch_size"] = BatchSize;
        return c;
    }
}
