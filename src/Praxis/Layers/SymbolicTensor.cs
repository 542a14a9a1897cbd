namespace Praxis.Layers;

/// <summary>
/// A placeholder in the functional API (Keras' <c>KerasTensor</c>): it has a shape, whose batch dimension is unknown
/// (−1, printed <c>None</c>), and remembers which layer call produced it. Calling layers on symbolic tensors builds a
/// graph; <c>new Model(inputs, outputs)</c> turns that graph into a model.
/// </summary>
public sealed class SymbolicTensor
{
    internal SymbolicTensor(Shape shape, Node node, int index, string name)
    {
        Shape = shape;
        Node = node;
        Index = index;
        Name = name;
    }

    /// <summary>The shape, batch dimension first (−1 when unknown).</summary>
    public Shape Shape { get; }

    /// <summary>The layer call that produced this tensor.</summary>
    public Node Node { get; }

    /// <summary>Which output of that call this is.</summary>
    public int Index { get; }

    /// <summary>A readable name (the producing layer's name).</summary>
    public string Name { get; }

    /// <summary>The layer that produced this tensor.</summary>
    public Layer Layer => Node.Layer;

    /// <inheritdoc />
    public override string ToString() => $"<SymbolicTensor shape={Shape}, name={Name}>";
}

/// <summary>One call of a layer in a functional graph: its symbolic inputs and outputs.</summary>
public sealed class Node
{
    internal Node(Layer layer, SymbolicTensor[] inputs, IReadOnlyDictionary<string, object?>? arguments = null)
    {
        Layer = layer;
        Inputs = inputs;
        Arguments = arguments ?? Layer.NoArguments;
    }

    /// <summary>The called layer.</summary>
    public Layer Layer { get; }

    /// <summary>The symbolic inputs of the call (empty for an input layer).</summary>
    public SymbolicTensor[] Inputs { get; }

    /// <summary>
    /// Keyword arguments of the call besides the inputs, with Keras names (e.g. <c>use_causal_mask</c> for
    /// MultiHeadAttention, <c>reverse</c> for ReversibleEmbedding); empty for most layers.
    /// </summary>
    public IReadOnlyDictionary<string, object?> Arguments { get; }

    /// <summary>The symbolic outputs of the call.</summary>
    public SymbolicTensor[] Outputs { get; internal set; } = [];
}
