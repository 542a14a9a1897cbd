using System.Globalization;
using System.Text;
using Praxis.Layers;

namespace Praxis.Models;

/// <summary>
/// A graph of layers with training built in (Keras <c>keras.Model</c>). The functional form is
/// <c>new Model(inputs, outputs)</c> over symbolic tensors from <see cref="Keras.Input"/>; <see cref="Sequential"/> is a
/// stack. Train with <c>Compile</c> then <c>Fit</c>.
/// A model is itself a layer and can be called inside another model.
/// </summary>
public partial class Model : Layer
{
    private SymbolicTensor[] _inputs = [];
    private SymbolicTensor[] _outputs = [];
    private List<Node> _nodes = new();
    private List<Layer> _layers = new();

    /// <summary>A functional model from one input to one output.</summary>
    public Model(SymbolicTensor inputs, SymbolicTensor outputs, string? name = null) : this([inputs], [outputs], name) { }

    /// <summary>A functional model with several inputs and/or outputs.</summary>
    public Model(SymbolicTensor[] inputs, SymbolicTensor[] outputs, string? name = null) : base(name ?? UniqueName("functional"))
    {
        InitGraph(inputs, outputs);
    }

    /// <summary>
    /// For subclasses: a <see cref="Sequential"/>, or a subclassed model (Keras <c>class MyModel(keras.Model)</c>) that
    /// creates its layers in its constructor, registers them with <see cref="Track{T}"/> and overrides
    /// <see cref="Call(Tensor, bool)"/> (or <see cref="Call(Tensor[], bool)"/>) with its computation.
    /// </summary>
    protected Model(string? name = null) : base(name) { }

    private readonly List<Layer> _tracked = new();

    /// <summary>
    /// Registers a layer (or a model) a subclassed model owns, so that its weights are trained, counted, saved and
    /// loaded with the model (Keras tracks attributes automatically; C# says it once): <c>_dense = Track(new Dense(64))</c>.
    /// </summary>
    protected T Track<T>(T layer) where T : Layer
    {
        ArgumentNullException.ThrowIfNull(layer);
        if (!_tracked.Contains(layer)) _tracked.Add(layer);
        InvalidateSteps();
        return layer;
    }

    /// <summary>The symbolic inputs.</summary>
    public IReadOnlyList<SymbolicTensor> Inputs => _inputs;

    /// <summary>The symbolic outputs.</summary>
    public IReadOnlyList<SymbolicTensor> Outputs => _outputs;

    /// <summary>The layers in the order they run (input layers first).</summary>
    public virtual IReadOnlyList<Layer> Layers => _tracked.Count == 0 ? _layers : [.. _layers, .. _tracked.Where(l => !_layers.Contains(l))];

    internal override IEnumerable<Layer> OwnedLayers => Layers;

    /// <summary>The input shapes (batch −1) a subclassed model was first called or trained on; saved so loading can build it.</summary>
    internal Shape[]? SubclassInputShapes { get; set; }

    /// <inheritdoc />
    public override long StructureVersion
    {
        get
        {
            // Versions only grow, so any change changes the sum. The graph's own lists, not the virtual Layers (which
            // may build a new list): this runs before every step and must not allocate.
            long v = base.StructureVersion;
            for (int i = 0; i < _layers.Count; i++) v += _layers[i].StructureVersion;
            for (int i = 0; i < _tracked.Count; i++) v += _tracked[i].StructureVersion;
            return v;
        }
    }

    /// <summary>True for a model built by subclassing (no functional graph of its own, the computation in an overridden <c>Call</c>).</summary>
    public bool IsSubclassed => !HasGraph && this is not Sequential;

    /// <inheritdoc />
    /// <remarks>A model replays its recorded steps when its own class and every layer in it are replay-safe.</remarks>
    public override bool ReplaySafe
    {
        get
        {
            if (!base.ReplaySafe) return false;
            foreach (var l in Layers) if (!l.ReplaySafe) return false;
            return true;
        }
    }

    /// <summary>The layer calls between inputs and outputs in run order (input layers excluded); used by save/load and export.</summary>
    internal IReadOnlyList<Node> GraphNodes => _nodes;

    /// <summary>True once the model knows its inputs (a Sequential without an input shape learns them from the first data).</summary>
    public bool HasGraph => _inputs.Length > 0;

    /// <summary>A layer by name.</summary>
    public Layer GetLayer(string name) =>
        _layers.FirstOrDefault(l => l.Name == name) ?? throw new KeyNotFoundException($"Model '{Name}' has no layer named '{name}'. Layers: {string.Join(", ", _layers.Select(l => l.Name))}.");

    /// <summary>Connects the graph: finds every layer call between <paramref name="inputs"/> and <paramref name="outputs"/> in run order.</summary>
    protected void InitGraph(SymbolicTensor[] inputs, SymbolicTensor[] outputs)
    {
        if (inputs.Length == 0 || outputs.Length == 0) throw new ArgumentException("A model needs at least one input and one output.");
        foreach (var i in inputs)
            if (i.Layer is not InputLayer)
                throw new ArgumentException($"Model inputs must come from Keras.Input(...); '{i.Name}' was produced by layer '{i.Layer.Name}' ({i.Layer.GetType().Name}).");
        var order = new List<Node>();
        var visited = new HashSet<Node>(ReferenceEqualityComparer.Instance);
        var inputNodes = new HashSet<Node>(inputs.Select(i => i.Node), ReferenceEqualityComparer.Instance);
        var stack = new Stack<(Node node, int next)>();
        foreach (var o in outputs)
        {
            if (!visited.Add(o.Node)) continue;
            stack.Push((o.Node, 0));
            while (stack.Count > 0)
            {
                var (node, next) = stack.Pop();
                if (next < node.Inputs.Length)
                {
                    stack.Push((node, next + 1));
                    var child = node.Inputs[next].Node;
                    if (visited.Add(child)) stack.Push((child, 0));
                }
                else
                {
                    if (node.Layer is InputLayer && !inputNodes.Contains(node))
                        throw new ArgumentException($"Graph disconnected: output depends on input '{node.Layer.Name}', which is not among the model's inputs ({string.Join(", ", inputs.Select(i => i.Name))}).");
                    order.Add(node);
                }
            }
        }
        _inputs = inputs;
        _outputs = outputs;
        _nodes = order.Where(n => n.Layer is not InputLayer).ToList();
        var layers = new List<Layer>();
        var seen = new HashSet<Layer>(ReferenceEqualityComparer.Instance);
        foreach (var i in inputs) if (seen.Add(i.Layer)) layers.Add(i.Layer);
        foreach (var n in _nodes) if (seen.Add(n.Layer)) layers.Add(n.Layer);
        _layers = layers;
        Built = true;
        InvalidateSteps();
    }

    /// <summary>Lets a model without a graph yet (a Sequential without input shape) build it from the data's shapes; a subclassed model has none to build.</summary>
    protected virtual void EnsureGraph(Shape[] dataShapes) { }

    /// <inheritdoc />
    public override bool Trainable
    {
        get => base.Trainable;
        set
        {
            base.Trainable = value;
            foreach (var l in Layers) l.Trainable = value;
        }
    }

    /// <inheritdoc />
    public override IReadOnlyList<Tensor> TrainableWeights => Trainable ? Unique(Layers.SelectMany(l => l.TrainableWeights)) : [];

    /// <inheritdoc />
    public override IReadOnlyList<Tensor> NonTrainableWeights =>
        Trainable ? Unique(Layers.SelectMany(l => l.NonTrainableWeights)) : Unique(Layers.SelectMany(l => l.Weights));

    private static List<Tensor> Unique(IEnumerable<Tensor> tensors)
    {
        var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        return tensors.Where(seen.Add).ToList();
    }

    /// <summary>Copies of every weight's values, in <see cref="Layer.Weights"/> order (Keras <c>get_weights</c>).</summary>
    public List<float[]> GetWeights() => Weights.Select(w => w.ToArray()).ToList();

    /// <summary>Overwrites every weight in place, in <see cref="Layer.Weights"/> order (Keras <c>set_weights</c>).</summary>
    public void SetWeights(IReadOnlyList<float[]> values)
    {
        var ws = Weights;
        if (values.Count != ws.Count) throw new ArgumentException($"SetWeights: model '{Name}' has {ws.Count} weights; got {values.Count} arrays.");
        for (int i = 0; i < ws.Count; i++)
        {
            if (values[i].Length != ws[i].Size)
                throw new ShapeMismatchException($"SetWeights: weight '{ws[i].Name}' has shape {ws[i].Shape} ({ws[i].Size} values); got {values[i].Length} values.");
            values[i].CopyTo(ws[i].Span);
        }
    }

    // ------------------------------------------------------------------ calling

    /// <inheritdoc />
    /// <remarks>A subclassed model overrides this (or the several-input form) with its computation.</remarks>
    public override Tensor Call(Tensor input, bool training)
    {
        if (!HasGraph) EnsureGraph([input.Shape]);
        if (!HasGraph)
            throw new NotSupportedException($"Model '{Name}' ({GetType().Name}) has no functional graph: a subclassed model overrides Call(Tensor, bool) or Call(Tensor[], bool) with its computation, as a Keras subclass defines call().");
        return Call([input], training)[0];
    }

    /// <summary>Runs the graph on concrete inputs.</summary>
    public override Tensor[] Call(Tensor[] inputs, bool training)
    {
        if (!HasGraph) EnsureGraph(inputs.Select(t => t.Shape).ToArray());
        if (!HasGraph)
        {
            SubclassInputShapes ??= inputs.Select(t => t.Shape.With(0, -1)).ToArray();
            if (inputs.Length == 1) return [Call(inputs[0], training)];
            throw new NotSupportedException($"Model '{Name}' ({GetType().Name}) has no functional graph and got {inputs.Length} inputs: override Call(Tensor[], bool) with its computation.");
        }
        if (inputs.Length != _inputs.Length)
            throw new ArgumentException($"Model '{Name}' takes {_inputs.Length} input(s); got {inputs.Length}.");
        var values = new Dictionary<SymbolicTensor, Tensor>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < inputs.Length; i++)
        {
            CheckInputShape(i, inputs[i].Shape, "input");
            values[_inputs[i]] = inputs[i];
        }
        foreach (var node in _nodes)
        {
            var args = new Tensor[node.Inputs.Length];
            for (int i = 0; i < args.Length; i++) args[i] = values[node.Inputs[i]];
            node.Layer.CheckInputs(args.Select(a => a.Shape).ToArray());
            var outs = node.Layer.Invoke(args, training, node.Arguments);
            if (outs.Length != node.Outputs.Length)
                throw new InvalidOperationException($"Layer '{node.Layer.Name}' returned {outs.Length} outputs; expected {node.Outputs.Length}.");
            for (int i = 0; i < outs.Length; i++) values[node.Outputs[i]] = outs[i];
        }
        var result = new Tensor[_outputs.Length];
        for (int i = 0; i < result.Length; i++) result[i] = values[_outputs[i]];
        return result;
    }

    /// <summary>Checks a data tensor (batch first) against model input <paramref name="index"/>; names the input and both shapes.</summary>
    protected void CheckInputShape(int index, Shape actual, string what)
    {
        var expected = _inputs[index].Shape;
        bool ok = actual.Rank == expected.Rank;
        for (int d = 0; ok && d < expected.Rank; d++)
            if (expected[d] >= 0 && expected[d] != actual[d]) ok = false;
        if (!ok)
            throw new ShapeMismatchException($"Input '{_inputs[index].Name}' of model '{Name}' expects shape {expected}, but {what} has shape {actual}.");
    }

    /// <inheritdoc />
    public override Shape[] ComputeOutputShapes(Shape[] inputShapes) =>
        HasGraph ? _outputs.Select(o => o.Shape).ToArray() : base.ComputeOutputShapes(inputShapes);

    // ------------------------------------------------------------------ summary

    /// <summary>Prints a Keras-style table of layers, output shapes and parameter counts.</summary>
    public void Summary(TextWriter? output = null) => (output ?? Console.Out).Write(SummaryString());

    /// <summary>The text <see cref="Summary"/> prints.</summary>
    public string SummaryString()
    {
        const int w1 = 33, w2 = 26, w3 = 12;
        int total = w1 + w2 + w3;
        var sb = new StringBuilder();
        sb.Append("Model: \"").Append(Name).Append("\"\n");
        sb.Append(new string('_', total)).Append('\n');
        sb.Append(Pad(" Layer (type)", w1)).Append(Pad("Output Shape", w2)).Append("Param #".PadLeft(w3)).Append('\n');
        sb.Append(new string('=', total)).Append('\n');
        foreach (var layer in SummaryLayers())
        {
            string shape = OutputShapeOf(layer);
            sb.Append(Pad($" {layer.Name} ({layer.GetType().Name})", w1)).Append(Pad(shape, w2))
              .Append(layer.CountParams().ToString("N0", CultureInfo.InvariantCulture).PadLeft(w3)).Append('\n');
        }
        sb.Append(new string('=', total)).Append('\n');
        long all = CountParams();
        long trainable = TrainableWeights.Sum(t => (long)t.Size);
        sb.Append("Total params: ").Append(FormatCount(all)).Append('\n');
        sb.Append("Trainable params: ").Append(FormatCount(trainable)).Append('\n');
        sb.Append("Non-trainable params: ").Append(FormatCount(all - trainable)).Append('\n');
        sb.Append(new string('_', total)).Append('\n');
        return sb.ToString();
    }

    /// <summary>The layers listed by <see cref="Summary"/>.</summary>
    protected virtual IEnumerable<Layer> SummaryLayers() => Layers;

    private string OutputShapeOf(Layer layer)
    {
        foreach (var i in _inputs) if (ReferenceEquals(i.Layer, layer)) return i.Shape.ToString();
        var node = _nodes.FirstOrDefault(n => ReferenceEquals(n.Layer, layer));
        if (node == null) return "?";
        return node.Outputs.Length == 1 ? node.Outputs[0].Shape.ToString() : string.Join(", ", node.Outputs.Select(o => o.Shape.ToString()));
    }

    private static string Pad(string s, int width) => s.Length >= width ? s[..(width - 1)] + " " : s.PadRight(width);

    private static string FormatCount(long n)
    {
        double bytes = n * 4.0;
        string size = bytes >= 1024 * 1024 ? $"{bytes / (1024 * 1024):F2} MB" : bytes >= 1024 ? $"{bytes / 1024:F2} KB" : $"{bytes:F2} B";
        return string.Create(CultureInfo.InvariantCulture, $"{n:N0} ({size})");
    }
}
