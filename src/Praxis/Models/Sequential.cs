using Praxis.Layers;

namespace Praxis.Models;

/// <summary>
/// A plain stack of layers, each feeding the next (Keras <c>Sequential</c>). Start it with an <see cref="InputLayer"/>
/// to fix the input shape; otherwise the shape comes from the first data it sees.
/// </summary>
public class Sequential : Model
{
    private readonly List<Layer> _stack = new();

    /// <summary>Creates the stack from layers (may be empty; add more with <see cref="Add"/>).</summary>
    public Sequential(IEnumerable<Layer>? layers = null, string? name = null) : base(name ?? UniqueName("sequential"))
    {
        foreach (var l in layers ?? []) _stack.Add(l);
        TryBuildGraph();
    }

    /// <summary>The layers of the stack (without the input layer).</summary>
    public override IReadOnlyList<Layer> Layers => _stack.Where(l => l is not InputLayer).ToList();

    /// <summary>Appends a layer.</summary>
    public void Add(Layer layer)
    {
        if (layer is InputLayer && _stack.Count > 0) throw new ArgumentException("An InputLayer can only be the first layer of a Sequential model.");
        _stack.Add(layer);
        if (HasGraph || _stack[0] is InputLayer) TryBuildGraph();
    }

    /// <summary>Builds the model for inputs of per-sample shape <paramref name="sampleShape"/> (no batch dimension).</summary>
    public void Build(int[] sampleShape) => BuildFrom(new InputLayer(sampleShape).Output);

    /// <inheritdoc />
    protected override void EnsureGraph(Shape[] dataShapes)
    {
        if (HasGraph) return;
        if (_stack.Count == 0) throw new InvalidOperationException($"Sequential model '{Name}' has no layers.");
        if (dataShapes.Length != 1) throw new ArgumentException($"Sequential model '{Name}' takes one input; got {dataShapes.Length}.");
        Build(dataShapes[0].DropFirst().ToArray());
    }

    private void TryBuildGraph()
    {
        if (_stack.Count > 0 && _stack[0] is InputLayer input) BuildFrom(input.Output);
        else if (HasGraph) BuildFrom(Inputs[0]);
    }

    private void BuildFrom(SymbolicTensor input)
    {
        var x = input;
        foreach (var layer in _stack)
            if (layer is not InputLayer) x = layer.Apply(x);
        InitGraph([input], [x]);
    }

    /// <inheritdoc />
    protected override IEnumerable<Layer> SummaryLayers() => Layers;
}
