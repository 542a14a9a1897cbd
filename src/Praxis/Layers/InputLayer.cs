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

    /// <inheritdoc />
    public override Dictionary<string, object?> GetConfig()
    {
        var c = base.GetConfig();
        c["shape"] = SampleShape.ToArray();
        c["batch_size"] = BatchSize;
        return c;
    }
}
