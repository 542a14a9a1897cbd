using System.Runtime.InteropServices;
using Google.Protobuf;
using Praxis.IO.Onnx.Proto;
using Praxis.Layers;
using Praxis.Models;

namespace Praxis.IO.Onnx;

/// <summary>An attribute of an ONNX node (integers, floats, strings or lists of them).</summary>
public readonly struct OnnxAttribute
{
    private OnnxAttribute(string name, object value) { Name = name; Value = value; }

    /// <summary>The attribute name, e.g. <c>axis</c>.</summary>
    public string Name { get; }

    internal object Value { get; }

    /// <summary>An INT attribute.</summary>
    public static OnnxAttribute Int(string name, long value) => new(name, value);

    /// <summary>An INTS attribute.</summary>
    public static OnnxAttribute Ints(string name, params long[] values) => new(name, values);

    /// <summary>A FLOAT attribute.</summary>
    public static OnnxAttribute Float(string name, float value) => new(name, value);

    /// <summary>A FLOATS attribute.</summary>
    public static OnnxAttribute Floats(string name, params float[] values) => new(name, values);

    /// <summary>A STRINGS attribute (e.g. the <c>activations</c> of a recurrent op).</summary>
    public static OnnxAttribute Strings(string name, params string[] values) => new(name, values);

    /// <summary>A STRING attribute.</summary>
    public static OnnxAttribute String(string name, string value) => new(name, value);

    internal AttributeProto ToProto()
    {
        var a = new AttributeProto { Name = Name };
        switch (Value)
        {
            case long i: a.Type = AttributeProto.Types.AttributeType.Int; a.I = i; break;
            case long[] ints: a.Type = AttributeProto.Types.AttributeType.Ints; a.Ints.AddRange(ints); break;
            case float f: a.Type = AttributeProto.Types.AttributeType.Float; a.F = f; break;
            case float[] fs: a.Type = AttributeProto.Types.AttributeType.Floats; a.Floats.AddRange(fs); break;
            case string s: a.Type = AttributeProto.Types.AttributeType.String; a.S = ByteString.CopyFromUtf8(s); break;
            case string[] ss:
                a.Type = AttributeProto.Types.AttributeType.Strings;
                foreach (var str in ss) a.Strings.Add(ByteString.CopyFromUtf8(str));
                break;
        }
        return a;
    }
}

/// <summary>
/// The ONNX graph being written, handed to layer converters: add constants (initializers) and nodes; every method
/// returns the name of the value it produced. Value names are made unique automatically.
/// </summary>
public sealed class OnnxGraph
{
    private readonly GraphProto _graph;
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private readonly HashSet<string> _reservedWeights = new(StringComparer.Ordinal);
    private readonly Dictionary<Tensor, string> _weights = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<string, (string Mask, int Rank)> _masks = new(StringComparer.Ordinal);

    internal OnnxGraph(GraphProto graph, int opset)
    {
        _graph = graph;
        Opset = opset;
    }

    /// <summary>The opset version being targeted (converters may choose ops by it).</summary>
    public int Opset { get; }

    internal string Unique(string hint)
    {
        string name = hint;
        for (int i = 1; !_names.Add(name); i++) name = $"{hint}_{i}";
        return name;
    }

    /// <summary>Keeps a weight's name free for it, so generated names never take it.</summary>
    internal void ReserveWeight(string name)
    {
        if (_names.Add(name)) _reservedWeights.Add(name);
    }

    /// <summary>A float32 constant of shape <paramref name="dims"/> (rank 0 when none), stored as an initializer.</summary>
    public string Constant(string nameHint, ReadOnlySpan<float> data, params long[] dims)
    {
        long count = 1;
        foreach (long d in dims) count *= d;
        if (count != data.Length) throw new ArgumentException($"ONNX constant '{nameHint}': {data.Length} values for shape [{string.Join(", ", dims)}].");
        var t = new TensorProto { Name = Unique(nameHint), DataType = (int)TensorProto.Types.DataType.Float };
        t.Dims.AddRange(dims);
        t.RawData = BitConverter.IsLittleEndian
            ? ByteString.CopyFrom(MemoryMarshal.AsBytes(data))
            : ByteString.CopyFrom(LittleEndian(data));
        _graph.Initializer.Add(t);
        return t.Name;
    }

    /// <summary>A float32 scalar constant.</summary>
    public string Scalar(string nameHint, float value) => Constant(nameHint, [value]);

    /// <summary>A 1-D int64 constant (shapes for Reshape, axes, pads…).</summary>
    public string ConstantInt64(string nameHint, params long[] values)
    {
        var t = new TensorProto { Name = Unique(nameHint), DataType = (int)TensorProto.Types.DataType.Int64 };
        t.Dims.Add(values.Length);
        t.Int64Data.AddRange(values);
        _graph.Initializer.Add(t);
        return t.Name;
    }

    /// <summary>A rank-0 int64 constant (a Range bound, a Gather index that drops the axis).</summary>
    public string ConstantScalarInt64(string nameHint, long value)
    {
        var t = new TensorProto { Name = Unique(nameHint), DataType = (int)TensorProto.Types.DataType.Int64 };
        t.Int64Data.Add(value);
        _graph.Initializer.Add(t);
        return t.Name;
    }

    /// <summary>
    /// A model weight as it is (same layout), stored once as an initializer under its own name (e.g.
    /// <c>dense/kernel</c>). Weights that need another layout (convolution kernels) go through
    /// <see cref="Constant"/> instead.
    /// </summary>
    public string Weight(Tensor weight)
    {
        if (_weights.TryGetValue(weight, out var name)) return name;
        name = weight.Name != null && _reservedWeights.Remove(weight.Name) ? weight.Name : Unique(weight.Name ?? "weight");
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        foreach (int d in weight.Shape.Dims) t.Dims.Add(d);
        ReadOnlySpan<float> span = weight.Span;
        t.RawData = BitConverter.IsLittleEndian ? ByteString.CopyFrom(MemoryMarshal.AsBytes(span)) : ByteString.CopyFrom(LittleEndian(span));
        _graph.Initializer.Add(t);
        _weights[weight] = name;
        return name;
    }

    /// <summary>Adds a node with one output and returns the output's name.</summary>
    public string Node(string opType, string[] inputs, string nameHint, params OnnxAttribute[] attributes) =>
        Node(opType, inputs, 1, nameHint, attributes)[0];

    /// <summary>Adds a node with <paramref name="outputCount"/> outputs and returns their names.</summary>
    public string[] Node(string opType, string[] inputs, int outputCount, string nameHint, params OnnxAttribute[] attributes)
    {
        string nodeName = Unique($"{nameHint}/{opType}");
        var n = new NodeProto { OpType = opType, Name = nodeName };
        n.Input.AddRange(inputs);
        var outs = new string[outputCount];
        for (int i = 0; i < outputCount; i++) outs[i] = Unique(outputCount == 1 ? $"{nodeName}:0" : $"{nodeName}:{i}");
        n.Output.AddRange(outs);
        foreach (var a in attributes) n.Attribute.Add(a.ToProto());
        _graph.Node.Add(n);
        return outs;
    }

    /// <summary>
    /// The Keras mask carried by value <paramref name="value"/> (a bool tensor over its leading axes, true where a step
    /// is real), or null. Embedding(mask_zero) creates one; layers that pass masks on, and the exporter's generic rule
    /// for <see cref="Layer.SupportsMasking"/>, carry it to later values, as <c>Tensor.Mask</c> is carried in Praxis.
    /// </summary>
    public string? MaskOf(string value) => _masks.TryGetValue(value, out var m) ? m.Mask : null;

    /// <summary>The rank of the mask carried by <paramref name="value"/> (0 when none).</summary>
    public int MaskRank(string value) => _masks.TryGetValue(value, out var m) ? m.Rank : 0;

    /// <summary>Records that <paramref name="value"/> carries the bool mask <paramref name="mask"/> of rank <paramref name="rank"/> (null clears it).</summary>
    public void SetMask(string value, string? mask, int rank = 2)
    {
        if (mask is null) _masks.Remove(value);
        else _masks[value] = (mask, rank);
    }

    /// <summary>Applies a Keras activation by name (see <see cref="OnnxExporter.RegisterActivation"/>).</summary>
    public string Activation(ActivationFunction activation, string input, string nameHint) =>
        OnnxExporter.ApplyActivation(this, activation.Name, input, nameHint);

    private static byte[] LittleEndian(ReadOnlySpan<float> data)
    {
        var b = new byte[data.Length * 4];
        for (int i = 0; i < data.Length; i++) System.Buffers.Binary.BinaryPrimitives.WriteSingleLittleEndian(b.AsSpan(4 * i), data[i]);
        return b;
    }
}

/// <summary>One call of a layer being converted: its ONNX input names and the symbolic shapes around it.</summary>
public sealed class OnnxLayerCall
{
    internal OnnxLayerCall(OnnxGraph graph, string[] inputs, Shape[] inputShapes, Shape[] outputShapes, IReadOnlyDictionary<string, object?> arguments)
    {
        Graph = graph; Inputs = inputs; InputShapes = inputShapes; OutputShapes = outputShapes; Arguments = arguments;
    }

    /// <summary>The call's keyword arguments (e.g. <c>use_causal_mask</c>); empty for most layers.</summary>
    public IReadOnlyDictionary<string, object?> Arguments { get; }

    /// <summary>The graph to add nodes to.</summary>
    public OnnxGraph Graph { get; }

    /// <summary>The ONNX value names of the call's inputs.</summary>
    public string[] Inputs { get; }

    /// <summary>The Keras shapes of the inputs (batch −1, channels last).</summary>
    public Shape[] InputShapes { get; }

    /// <summary>The Keras shapes of the outputs.</summary>
    public Shape[] OutputShapes { get; }
}

/// <summary>
/// Exports models to ONNX (opsets 13 to 26, 26 by default) in pure managed code: the ONNX protobuf messages are
/// generated from the public <c>onnx.proto</c> (see <c>src/Praxis/IO/Onnx/onnx.proto</c>) and written with
/// Google.Protobuf. The exported graph computes <c>Predict</c>: inference mode (dropout off, batch normalization with
/// its moving statistics), inputs and outputs in Keras' layouts (channels last) with a symbolic batch dimension
/// <c>N</c>; channels-first ONNX ops are wrapped in Transpose nodes, which ONNX Runtime folds away.
/// </summary>
/// <remarks>
/// <para><b>Adding a layer.</b> Register a converter that takes the layer and an <see cref="OnnxLayerCall"/> and
/// returns the names of its outputs; library layers add one line to <c>OnnxConverters.RegisterBuiltIns</c>:</para>
/// <code>
/// OnnxExporter.Register&lt;Dense&gt;((layer, call) => { var g = call.Graph; … return [g.Activation(layer.Activation, y, layer.Name)]; });
/// </code>
/// <para>Softmax is only emitted at opset ≥ 13, where it normalises along one axis as Keras does (older opsets
/// flattened the trailing axes).</para>
/// </remarks>
public static class OnnxExporter
{
    /// <summary>
    /// The default opset: the newest that the ONNX Runtime the tests run (1.31.1) officially supports ("Current official
    /// support for domain ai.onnx is till opset 26"); an older runtime needs a lower <c>opset</c>.
    /// </summary>
    public const int DefaultOpset = 26;

    /// <summary>The lowest opset allowed (Softmax's semantics changed at 13).</summary>
    public const int MinOpset = 13;

    /// <summary>The highest opset allowed: the newest the tested ONNX Runtime (1.31.1) loads.</summary>
    public const int MaxOpset = 26;

    private static readonly object Gate = new();
    private static readonly Dictionary<Type, Func<Layer, OnnxLayerCall, string[]>> Converters = new();
    private static readonly Dictionary<string, Func<OnnxGraph, string, string, string>> ActivationConverters = new(StringComparer.OrdinalIgnoreCase);

    static OnnxExporter() => OnnxConverters.RegisterBuiltIns();

    /// <summary>Registers (or replaces) the converter for layers of exactly type <typeparamref name="T"/>.</summary>
    public static void Register<T>(Func<T, OnnxLayerCall, string[]> converter) where T : Layer
    {
        ArgumentNullException.ThrowIfNull(converter);
        lock (Gate) Converters[typeof(T)] = (l, c) => converter((T)l, c);
    }

    /// <summary>Registers how a Keras activation name is written: (graph, input, nameHint) → output.</summary>
    public static void RegisterActivation(string name, Func<OnnxGraph, string, string, string> converter)
    {
        lock (Gate) ActivationConverters[name] = converter;
    }

    /// <summary>True when layers of this exact type can be exported.</summary>
    public static bool CanExport(Type layerType)
    {
        lock (Gate) return Converters.ContainsKey(layerType);
    }

    internal static string ApplyActivation(OnnxGraph g, string name, string input, string hint)
    {
        Func<OnnxGraph, string, string, string>? f;
        lock (Gate) ActivationConverters.TryGetValue(name, out f);
        if (f == null) throw new NotSupportedException($"Activation '{name}' (in '{hint}') has no ONNX converter; register one with OnnxExporter.RegisterActivation.");
        return f(g, input, hint);
    }

    /// <summary>
    /// Writes <paramref name="model"/> to <paramref name="path"/> as ONNX (crash-safe write). A model with a
    /// <see cref="Model.StringInput"/> (a text model) also gets <see cref="OnnxStringInput.PathFor"/>
    /// (<c>model.vocab.json</c>): the ONNX graph takes the text layer's output (token ids), and that file holds the
    /// tokenizer settings and vocabulary the caller applies first. Both are built before either is written.
    /// </summary>
    public static void Export(Model model, string path, int opset = DefaultOpset)
    {
        var proto = Build(model, opset);
        byte[]? strings = model.StringInput is null ? null : OnnxStringInput.ToBytes(model, proto.Graph.Input[0].Name);
        var bytes = proto.ToByteArray();
        if (strings != null) AtomicFile.Write(OnnxStringInput.PathFor(path), s => s.Write(strings));
        AtomicFile.Write(path, s => s.Write(bytes));
    }

    /// <summary>The ONNX ModelProto bytes of <paramref name="model"/>.</summary>
    public static byte[] ToBytes(Model model, int opset = DefaultOpset) => Build(model, opset).ToByteArray();

    internal static ModelProto Build(Model model, int opset)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (opset < MinOpset || opset > MaxOpset)
            throw new ArgumentOutOfRangeException(nameof(opset), $"ONNX export supports opsets {MinOpset}..{MaxOpset} (Softmax changed meaning at 13); got {opset}.");
        if (model.IsSubclassed && model.GetType() != typeof(Model))
            throw new NotSupportedException($"Model '{model.Name}' ({model.GetType().Name}) is a subclassed model without a graph: its Call is C# code, which ONNX export cannot trace; export the functional models it is made of instead (e.g. a VAE's decoder).");
        if (!model.HasGraph) throw new InvalidOperationException($"Model '{model.Name}' has no inputs yet; build it (give it an input shape) before exporting.");
        var graph = new GraphProto { Name = model.Name };
        var g = new OnnxGraph(graph, opset);
        // Weight names and graph input names are fixed; reserve them first so generated names avoid them.
        foreach (var w in model.Weights) if (w.Name != null) g.ReserveWeight(w.Name);
        var inputNames = new string[model.Inputs.Count];
        for (int i = 0; i < inputNames.Length; i++)
        {
            var input = model.Inputs[i];
            inputNames[i] = g.Unique(input.Layer.Name);
            graph.Input.Add(ValueInfo(inputNames[i], input.Shape, inputNames[i]));
        }
        var outputs = Inline(model, inputNames, g);
        for (int i = 0; i < outputs.Length; i++)
        {
            string name = g.Unique(model.Outputs[i].Name.Replace(':', '_'));
            var n = new NodeProto { OpType = "Identity", Name = name + "/Identity" };
            n.Input.Add(outputs[i]);
            n.Output.Add(name);
            graph.Node.Add(n);
            graph.Output.Add(ValueInfo(name, model.Outputs[i].Shape, null));
        }
        var proto = new ModelProto
        {
            IrVersion = IrVersionFor(opset),
            ProducerName = "praxis",
            ProducerVersion = PraxisInfo.Version,
            Graph = graph,
        };
        proto.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
        return proto;
    }

    /// <summary>Writes a model's graph into <paramref name="g"/> with the given input values; returns its output values.</summary>
    internal static string[] Inline(Model model, string[] inputs, OnnxGraph g)
    {
        var values = new Dictionary<SymbolicTensor, string>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < inputs.Length; i++) values[model.Inputs[i]] = inputs[i];
        foreach (var node in model.GraphNodes)
        {
            var ins = node.Inputs.Select(t => values[t]).ToArray();
            var call = new OnnxLayerCall(g, ins, node.Inputs.Select(t => t.Shape).ToArray(), node.Outputs.Select(t => t.Shape).ToArray(), node.Arguments);
            string[] outs = Convert(node.Layer, call);
            if (outs.Length != node.Outputs.Length)
                throw new InvalidOperationException($"The ONNX converter of layer '{node.Layer.Name}' returned {outs.Length} outputs; the layer has {node.Outputs.Length}.");
            // Layer.Invoke's rule: a masking-aware layer passes its first input's mask to outputs that still have the masked axes.
            if (node.Layer.SupportsMasking && ins.Length > 0 && g.MaskOf(ins[0]) is { } mask)
            {
                int rank = g.MaskRank(ins[0]);
                for (int i = 0; i < outs.Length; i++)
                {
                    var o = node.Outputs[i].Shape;
                    if (g.MaskOf(outs[i]) == null && o.Rank >= rank && o.Dims[..rank].SequenceEqual(node.Inputs[0].Shape.Dims[..rank]))
                        g.SetMask(outs[i], mask, rank);
                }
            }
            for (int i = 0; i < outs.Length; i++) values[node.Outputs[i]] = outs[i];
        }
        return model.Outputs.Select(o => values[o]).ToArray();
    }

    /// <summary>Converts one call of <paramref name="layer"/> (a nested model is inlined); wrappers call it for their inner layer.</summary>
    internal static string[] Convert(Layer layer, OnnxLayerCall call)
    {
        if (layer is Model inner) return Inline(inner, call.Inputs, call.Graph);
        Func<Layer, OnnxLayerCall, string[]>? conv;
        lock (Gate) Converters.TryGetValue(layer.GetType(), out conv);
        if (conv == null)
            throw new NotSupportedException($"Layer '{layer.Name}' ({layer.GetType().Name}) has no ONNX converter; register one with OnnxExporter.Register<{layer.GetType().Name}>(…).");
        return conv(layer, call);
    }

    /// <summary>
    /// A float tensor's type. Unknown sizes are symbolic: the batch axis is <c>N</c> everywhere (one batch per call);
    /// an input's other unknown axes are named after the input (<c>ids_d1</c>), since ONNX Runtime takes equal names
    /// for equal sizes and two inputs' lengths may differ; an output's other unknown axes are left unnamed.
    /// </summary>
    private static ValueInfoProto ValueInfo(string name, Shape shape, string? axisPrefix)
    {
        var tt = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = new TensorShapeProto() };
        for (int i = 0; i < shape.Rank; i++)
            tt.Shape.Dim.Add(shape[i] >= 0 ? new TensorShapeProto.Types.Dimension { DimValue = shape[i] }
                : i == 0 ? new TensorShapeProto.Types.Dimension { DimParam = "N" }
                : axisPrefix is null ? new TensorShapeProto.Types.Dimension()
                : new TensorShapeProto.Types.Dimension { DimParam = $"{axisPrefix}_d{i}" });
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = tt } };
    }

    /// <summary>
    /// The IR version released with each opset (ONNX's versioning table), capped at 11 (ONNX 1.18): the graph uses no
    /// later IR feature, and the lowest IR that holds the opset keeps the file loadable by the most runtimes.
    /// </summary>
    private static long IrVersionFor(int opset) => opset switch
    {
        <= 14 => 7,
        <= 18 => 8,
        <= 20 => 9,
        <= 22 => 10,
        _ => 11,
    };
}
