using System.Text;
using Praxis.Autograd;
using Praxis.Initializers;
using Praxis.Regularizers;

namespace Praxis.Layers;

/// <summary>
/// The base of every layer, with the Keras lifecycle: the constructor only stores configuration; <see cref="Build(Shape)"/>
/// creates the weights once the input shape is known; <see cref="Call(Tensor, bool)"/> is the math, written with
/// differentiable ops; <see cref="GetConfig"/> returns every constructor argument so the layer can be rebuilt.
/// Call a layer on a <see cref="SymbolicTensor"/> (functional API) or on a concrete <see cref="Tensor"/> (eager) with
/// <c>Apply</c>.
/// </summary>
/// <remarks>
/// <para>Writing your own layer: override <see cref="Build(Shape)"/> (weights via <c>AddWeight</c>), <see cref="Call(Tensor, bool)"/>
/// or, for several inputs, <see cref="Call(Tensor[], bool)"/> (no <c>Build(Shape[])</c> needed when it has no weights),
/// and <see cref="GetConfig"/> plus a <c>LayerRegistry.Register</c> line to save it.</para>
/// <para>The replay rule: a model's step can be recorded once and replayed (see <see cref="Tape"/>), which is only right
/// when everything that changes per batch is computed by ops (random values with <see cref="Tensor.RandomNormal"/> or
/// <see cref="Tensor.RandomUniform"/>, which are ops) and <c>Call</c> never reads tensor values to decide anything.
/// Library layers obey it. Your layer is run eagerly (re-recorded every step, never frozen) unless it overrides
/// <see cref="ReplaySafe"/> to promise the rule, which buys the replayed speed.</para>
/// </remarks>
public abstract class Layer
{
    private static readonly Dictionary<string, int> NameCounts = new();
    private long _structureVersion;
    private readonly List<Tensor> _weights = new();
    private readonly HashSet<Tensor> _nonTrainable = new(ReferenceEqualityComparer.Instance);
    private bool _trainable = true;
    private readonly List<(Tensor Weight, Regularizer Regularizer)> _weightRegularizers = new();
    private readonly List<Tensor> _callLosses = new();

    /// <summary>Creates a layer; without a name it gets a unique one from its type (dense, dense_1, …) as in Keras.</summary>
    protected Layer(string? name = null) => Name = name ?? UniqueName(DefaultName(GetType().Name));

    /// <summary>The layer's name, unique per process unless given explicitly.</summary>
    public string Name { get; }

    /// <summary>True once the weights exist.</summary>
    public bool Built { get; protected set; }

    /// <summary>The input shape given to <see cref="Build(Shape)"/> (batch dimension −1), once built.</summary>
    public Shape? BuildInputShape { get; private set; }

    /// <summary>Checked before every call once the layer is built; names the layer, expected and actual shape on mismatch.</summary>
    public InputSpec? InputSpec { get; protected set; }

    /// <summary>
    /// Whether the optimizer updates this layer's weights. Setting it false freezes the layer (its weights stop requiring
    /// grad and move to <see cref="NonTrainableWeights"/>), as Keras' <c>layer.trainable = False</c>.
    /// </summary>
    public virtual bool Trainable
    {
        get => _trainable;
        set
        {
            if (_trainable == value) return;
            _trainable = value;
            foreach (var w in _weights) w.RequiresGrad = value && !_nonTrainable.Contains(w);
            Interlocked.Increment(ref _structureVersion);
        }
    }

    /// <summary>
    /// Changes whenever this layer's trainability (or, for a model, any of its layers') changes, so the steps a model
    /// recorded can be rebuilt. Per layer: freezing a GAN's discriminator invalidates only the models that contain it.
    /// </summary>
    public virtual long StructureVersion => Interlocked.Read(ref _structureVersion);

    /// <summary>Every weight: trainable first, then non-trainable (Keras order).</summary>
    public virtual IReadOnlyList<Tensor> Weights
    {
        get
        {
            var list = new List<Tensor>(TrainableWeights);
            list.AddRange(NonTrainableWeights);
            return list;
        }
    }

    /// <summary>The weights the optimizer updates (none when the layer is frozen).</summary>
    public virtual IReadOnlyList<Tensor> TrainableWeights =>
        _trainable ? _weights.Where(w => !_nonTrainable.Contains(w)).ToList() : [];

    /// <summary>Weights the optimizer leaves alone (e.g. BatchNormalization's moving statistics; all of them when frozen).</summary>
    public virtual IReadOnlyList<Tensor> NonTrainableWeights =>
        _trainable ? _weights.Where(w => _nonTrainable.Contains(w)).ToList() : _weights.ToList();

    /// <summary>The total number of scalars in <see cref="Weights"/>.</summary>
    public long CountParams()
    {
        long n = 0;
        foreach (var w in Weights) n += w.Size;
        return n;
    }

    private SerializationContext? _load;

    /// <summary>
    /// Marks this layer, and the layers it owns (<see cref="OwnedLayers"/>), as built by <paramref name="load"/>: their
    /// weights are charged to its budget. The loader calls it for every layer it creates, before the layer is built.
    /// </summary>
    internal void AttachLoad(SerializationContext load)
    {
        if (_load == load) return;
        _load = load;
        foreach (var l in OwnedLayers) l.AttachLoad(load);
    }

    /// <summary>The layers this one builds itself (a model's layers, a wrapper's inner layers), for <see cref="AttachLoad"/>.</summary>
    internal virtual IEnumerable<Layer> OwnedLayers => [];

    /// <summary>
    /// Creates a weight named <c>{layer}/{name}</c> and registers it with the layer; a <paramref name="regularizer"/>
    /// adds its penalty of the weight to <see cref="AddedLosses"/> (Keras' <c>add_weight(regularizer=…)</c>).
    /// </summary>
    protected Tensor AddWeight(string name, Shape shape, Initializer initializer, bool trainable = true, Regularizer? regularizer = null)
    {
        // A layer the loader built carries its load: a budget stops a hostile config from allocating huge weights, and
        // weights about to be overwritten from the file skip their initializer (and leave the random generator alone).
        var w = _load is { } load && load.ChargeWeight(this, name, shape) ? new Tensor(shape) : initializer.Create(shape);
        w.Name = $"{Name}/{name}";
        w.RequiresGrad = trainable && _trainable;
        _weights.Add(w);
        if (!trainable) _nonTrainable.Add(w);
        if (regularizer != null) _weightRegularizers.Add((w, regularizer));
        return w;
    }

    /// <summary>
    /// Penalises the layer's outputs (Keras <c>activity_regularizer</c>): each call adds the penalty of every output to
    /// <see cref="AddedLosses"/> (not divided by the batch size, as Keras 3).
    /// </summary>
    public Regularizer? ActivityRegularizer { get; protected set; }

    /// <summary>
    /// Adds a scalar loss computed in <c>Call</c> (Keras <c>add_loss</c>), e.g. <c>AddLoss(x.Abs().Mean() * 0.1f)</c>.
    /// Fit and Evaluate add <see cref="AddedLosses"/> to the compiled loss (and to the logged <c>loss</c>, as Keras). Compute it
    /// with ops from the call's tensors, so a recorded step replays it with fresh values.
    /// </summary>
    public void AddLoss(Tensor loss)
    {
        ArgumentNullException.ThrowIfNull(loss);
        if (loss.Size != 1)
            throw new ShapeMismatchException($"Layer '{Name}' ({GetType().Name}): AddLoss takes a scalar; got shape {loss.Shape}. Reduce it (e.g. .Mean()) first.");
        _callLosses.Add(loss.Rank == 0 ? loss : loss.Reshape([]));
    }

    /// <summary>
    /// The layer's extra losses (Keras <c>layer.losses</c>; the name differs because <c>Model.Losses</c> is the compiled loss per output): those added by <see cref="AddLoss"/> and the activity
    /// regularizer since the last <see cref="ClearLosses"/>, then the weight regularizers' penalties, built afresh from the
    /// current weights on each read, then those of the layers it owns (a model's layers, nested models included, and a
    /// wrapper's inner layers, e.g. both directions of a <c>Bidirectional</c>).
    /// </summary>
    public virtual IReadOnlyList<Tensor> AddedLosses
    {
        get
        {
            var list = new List<Tensor>(_callLosses);
            foreach (var (w, r) in _weightRegularizers) list.Add(r.Penalty(w));
            foreach (var l in OwnedLayers) list.AddRange(l.AddedLosses);
            return list;
        }
    }

    /// <summary>Forgets the losses added during earlier calls, its own layers' too (Fit and Evaluate do this before each recorded pass).</summary>
    public virtual void ClearLosses()
    {
        _callLosses.Clear();
        foreach (var l in OwnedLayers) l.ClearLosses();
    }

    /// <summary>Creates the weights for an input of <paramref name="inputShape"/> (batch dimension −1).</summary>
    public virtual void Build(Shape inputShape) => Built = true;

    /// <summary>
    /// Builds a layer called on several inputs. The default passes a single input to <see cref="Build(Shape)"/> and, for
    /// several, creates nothing (as Keras' default <c>build</c>): a multi-input layer without weights needs no override.
    /// </summary>
    public virtual void Build(Shape[] inputShapes)
    {
        if (inputShapes.Length == 1) Build(inputShapes[0]);
        else Built = true;
    }

    /// <summary>The layer's computation on one input.</summary>
    public virtual Tensor Call(Tensor input, bool training) =>
        throw new NotSupportedException($"Layer '{Name}' ({GetType().Name}) does not take a single input.");

    /// <summary>The layer's computation on several inputs, producing one or more outputs; the default calls the single-input form.</summary>
    public virtual Tensor[] Call(Tensor[] inputs, bool training)
    {
        if (inputs.Length != 1) throw new ArgumentException($"Layer '{Name}' ({GetType().Name}) takes one input; got {inputs.Length}.");
        return [Call(inputs[0], training)];
    }

    /// <summary>
    /// The layer's computation with keyword arguments besides the inputs (Keras call arguments such as
    /// <c>use_causal_mask</c>). Layers that take such arguments override it; the default accepts none.
    /// </summary>
    public virtual Tensor[] Call(Tensor[] inputs, bool training, IReadOnlyDictionary<string, object?> arguments)
    {
        if (arguments.Count > 0)
            throw new ArgumentException($"Layer '{Name}' ({GetType().Name}) takes no call arguments; got {string.Join(", ", arguments.Keys)}.");
        return Call(inputs, training);
    }

    /// <summary>The empty set of call arguments.</summary>
    public static readonly IReadOnlyDictionary<string, object?> NoArguments =
        new System.Collections.ObjectModel.ReadOnlyDictionary<string, object?>(new Dictionary<string, object?>());

    /// <summary>
    /// Whether the layer passes the mask of its first input on to its outputs unchanged (Keras <c>supports_masking</c>),
    /// as layers that transform features step by step do (Dense, LayerNormalization, TimeDistributed). Layers that
    /// create, change or consume a mask (Embedding, recurrent layers, attention) set <see cref="Tensor.Mask"/> on their
    /// outputs themselves in <c>Call</c>.
    /// </summary>
    public bool SupportsMasking { get; protected set; }

    /// <summary>
    /// Runs <see cref="Call(Tensor[], bool, IReadOnlyDictionary{string, object?})"/>, then passes the first input's mask on to
    /// outputs that have none when the layer <see cref="SupportsMasking"/> (and the output still has the masked axes).
    /// </summary>
    internal Tensor[] Invoke(Tensor[] inputs, bool training, IReadOnlyDictionary<string, object?> arguments)
    {
        var outputs = Call(inputs, training, arguments);
        if (ActivityRegularizer is { } activity)
            foreach (var o in outputs) _callLosses.Add(activity.Penalty(o));
        if (SupportsMasking && inputs.Length > 0 && inputs[0].Mask is { } mask)
        {
            foreach (var o in outputs)
                if (o.Mask == null && o.Rank >= mask.Rank && o.Shape.Dims[..mask.Rank].SequenceEqual(mask.Shape.Dims)) o.Mask = mask;
        }
        return outputs;
    }

    /// <summary>Checks that a call argument has the expected type and returns it (or <paramref name="fallback"/> when absent).</summary>
    protected T Argument<T>(IReadOnlyDictionary<string, object?> arguments, string key, T fallback)
    {
        if (!arguments.TryGetValue(key, out var v) || v is null) return fallback;
        if (v is T t) return t;
        throw new ArgumentException($"Layer '{Name}' ({GetType().Name}): call argument '{key}' must be {typeof(T).Name}; got {v.GetType().Name}.");
    }

    /// <summary>Throws when <paramref name="arguments"/> holds a key outside <paramref name="known"/>.</summary>
    protected void CheckArguments(IReadOnlyDictionary<string, object?> arguments, params string[] known)
    {
        foreach (var k in arguments.Keys)
            if (Array.IndexOf(known, k) < 0)
                throw new ArgumentException($"Layer '{Name}' ({GetType().Name}) has no call argument '{k}'. Known: {string.Join(", ", known)}.");
    }

    /// <summary>
    /// Output shapes for the given input shapes (batch dimension −1) without real data. The default runs the layer in
    /// inference mode on zeros twice, with unknown dimensions set to 2 and then 3, and marks the output dimensions that
    /// differ as unknown; layers override it when a formula is cheaper.
    /// </summary>
    public virtual Shape[] ComputeOutputShapes(Shape[] inputShapes) => DryRunShapes(inputShapes, NoArguments);

    /// <summary>Output shapes for a call with keyword arguments; without arguments, <see cref="ComputeOutputShapes(Shape[])"/>.</summary>
    public virtual Shape[] ComputeOutputShapes(Shape[] inputShapes, IReadOnlyDictionary<string, object?> arguments) =>
        arguments.Count == 0 ? ComputeOutputShapes(inputShapes) : DryRunShapes(inputShapes, arguments);

    /// <summary>The generic shape inference: runs the layer on zeros (unknown sizes 2, then 3) and compares.</summary>
    protected Shape[] DryRunShapes(Shape[] inputShapes, IReadOnlyDictionary<string, object?> arguments)
    {
        Shape[] Run(int fill)
        {
            var inputs = inputShapes.Select(s => new Tensor(new Shape(s.Dims.ToArray().Select(d => d < 0 ? fill : d).ToArray()))).ToArray();
            using var _ = Tensor.NoGrad();
            return Call(inputs, false, arguments).Select(t => t.Shape).ToArray();
        }
        var a = Run(2);
        var b = Run(3);
        var result = new Shape[a.Length];
        for (int i = 0; i < a.Length; i++)
        {
            var d = a[i].ToArray();
            for (int j = 0; j < d.Length; j++)
                if (j < b[i].Rank && b[i][j] != d[j]) d[j] = -1;
            result[i] = new Shape(d);
        }
        return result;
    }

    // ------------------------------------------------------------------ calling

    /// <summary>Calls the layer on a symbolic tensor (functional API), building it on first use.</summary>
    public SymbolicTensor Apply(SymbolicTensor input) => Single(ApplyMany(input));

    /// <summary>Calls a multi-input layer on symbolic tensors and returns its single output.</summary>
    public SymbolicTensor Apply(params SymbolicTensor[] inputs) => Single(ApplyMany(inputs));

    /// <summary>Calls the layer on symbolic tensors and returns all its outputs (e.g. an RNN with return_state).</summary>
    public SymbolicTensor[] ApplyMany(params SymbolicTensor[] inputs) => ApplyMany(inputs, NoArguments);

    /// <summary>
    /// Calls the layer on symbolic tensors with keyword arguments (Keras call arguments, snake_case keys), e.g.
    /// <c>mha.ApplyMany([x, x], new Dictionary&lt;string, object?&gt; { ["use_causal_mask"] = true })</c>. The arguments are
    /// stored in the graph node and passed to every later call of the model.
    /// </summary>
    public SymbolicTensor[] ApplyMany(SymbolicTensor[] inputs, IReadOnlyDictionary<string, object?> arguments)
    {
        var shapes = inputs.Select(t => t.Shape).ToArray();
        EnsureBuilt(shapes);
        CheckInputs(shapes);
        Shape[] outShapes;
        using (Tape.Suspend()) outShapes = ComputeOutputShapes(shapes, arguments);
        var node = new Node(this, inputs, arguments.Count == 0 ? NoArguments : new Dictionary<string, object?>(arguments));
        node.Outputs = outShapes.Select((s, i) => new SymbolicTensor(s, node, i, outShapes.Length == 1 ? Name : $"{Name}:{i}")).ToArray();
        return node.Outputs;
    }

    /// <summary>Calls the layer eagerly on a concrete tensor (inference mode unless <paramref name="training"/>).</summary>
    public Tensor Apply(Tensor input, bool training = false) => Single(ApplyMany([input], training));

    /// <summary>Calls the layer eagerly on concrete tensors, returning all outputs.</summary>
    public Tensor[] ApplyMany(Tensor[] inputs, bool training = false) => ApplyMany(inputs, NoArguments, training);

    /// <summary>Calls the layer eagerly on concrete tensors with keyword arguments (see the symbolic overload).</summary>
    public Tensor[] ApplyMany(Tensor[] inputs, IReadOnlyDictionary<string, object?> arguments, bool training = false)
    {
        var shapes = inputs.Select(t => t.Shape).ToArray();
        EnsureBuilt(shapes.Select(s => s.Rank > 0 ? s.With(0, -1) : s).ToArray());
        CheckInputs(shapes);
        return Invoke(inputs, training, arguments);
    }

    private void EnsureBuilt(Shape[] shapes)
    {
        if (Built) return;
        // A layer first called while a step is recorded (a subclassed model builds its parts on first call) must not put
        // its weight initialisation on the tape: a replay would draw the weights again.
        using (Tape.Suspend())
        {
            if (shapes.Length == 1) { Build(shapes[0]); BuildInputShape = shapes[0]; }
            else Build(shapes);
        }
        BuildInputShapes = shapes;
        Built = true;
    }

    /// <summary>The input shapes the layer was built for (batch dimension −1), once built by a call.</summary>
    public Shape[]? BuildInputShapes { get; private set; }

    /// <summary>
    /// Whether <c>Fit</c>, <c>Evaluate</c> and <c>Predict</c> may record this layer's <see cref="Call(Tensor, bool)"/> once
    /// and replay the recorded ops for later batches (no graph building, no allocation per step). That is only right
    /// when <c>Call</c> obeys the replay rule: everything that changes from batch to batch is computed by ops (random
    /// values through <see cref="Tensor.RandomNormal"/>/<see cref="Tensor.RandomUniform"/>, which are ops), <c>Call</c>
    /// never reads tensor values to decide anything, and it keeps no state of its own between calls.
    /// </summary>
    /// <remarks>
    /// The library's own layers obey the rule and return true. A layer defined outside the library returns false unless
    /// it overrides this property: a model that contains one is re-recorded eagerly on every step (the same numbers as an
    /// eager loop, a new graph each step), so a custom layer is never silently frozen at its first batch. Override it
    /// to return true once your <c>Call</c> follows the rule, to get the replayed speed.
    /// </remarks>
    public virtual bool ReplaySafe => GetType().Assembly == typeof(Layer).Assembly;

    /// <summary>Checks input shapes against <see cref="InputSpec"/> (every input by default; see <see cref="CheckInputShapes"/>).</summary>
    protected internal void CheckInputs(Shape[] shapes) => CheckInputShapes(shapes);

    /// <summary>
    /// Validates input shapes before a call; the default checks each against <see cref="InputSpec"/>. Layers whose inputs
    /// differ in kind (a sequence plus initial states, query plus value) override it to check each input its own way.
    /// </summary>
    protected virtual void CheckInputShapes(Shape[] shapes)
    {
        if (InputSpec is { } spec)
            foreach (var s in shapes) spec.Check(this, s);
    }

    private T Single<T>(T[] outputs)
    {
        if (outputs.Length != 1)
            throw new InvalidOperationException($"Layer '{Name}' ({GetType().Name}) returns {outputs.Length} outputs; use ApplyMany.");
        return outputs[0];
    }

    // ------------------------------------------------------------------ config

    /// <summary>The constructor arguments (Keras <c>get_config</c>), used by save/load.</summary>
    public virtual Dictionary<string, object?> GetConfig() => new() { ["name"] = Name, ["trainable"] = Trainable };

    /// <inheritdoc />
    public override string ToString() => $"{GetType().Name}('{Name}')";

    /// <summary>Forgets auto-generated names (Keras <c>clear_session</c>), so the next dense layer is <c>dense</c> again.</summary>
    public static void ResetNames()
    {
        lock (NameCounts) NameCounts.Clear();
    }

    /// <summary>A unique name from a prefix: prefix, prefix_1, prefix_2, …</summary>
    protected static string UniqueName(string prefix)
    {
        lock (NameCounts)
        {
            NameCounts.TryGetValue(prefix, out int n);
            NameCounts[prefix] = n + 1;
            return n == 0 ? prefix : $"{prefix}_{n}";
        }
    }

    /// <summary>Keras' snake_case of a class name: Dense → dense, MaxPooling2D → max_pooling2d, Conv2D → conv2d.</summary>
    public static string DefaultName(string typeName)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < typeName.Length; i++)
        {
            char c = typeName[i];
            if (char.IsUpper(c))
            {
                bool prevLower = i > 0 && char.IsLower(typeName[i - 1]);
                bool nextLower = i + 1 < typeName.Length && char.IsLower(typeName[i + 1]);
                bool prevUpper = i > 0 && char.IsUpper(typeName[i - 1]);
                if (i > 0 && (prevLower || (prevUpper && nextLower))) sb.Append('_');
                sb.Append(char.ToLowerInvariant(c));
            }
            else sb.Append(c);
        }
        return sb.ToString();
    }
}

/// <summary>
/// What a layer accepts once built (Keras <c>InputSpec</c>): a rank range and fixed sizes for some axes.
/// </summary>
public sealed class InputSpec
{
    /// <summary>Creates a spec.</summary>
    public InputSpec(int? minRank = null, int? rank = null, IReadOnlyDictionary<int, int>? axes = null, Shape? expectedShape = null)
    {
        MinRank = minRank; Rank = rank; Axes = axes; ExpectedShape = expectedShape;
    }

    /// <summary>The minimum rank, if any.</summary>
    public int? MinRank { get; }

    /// <summary>The exact rank, if any.</summary>
    public int? Rank { get; }

    /// <summary>Fixed sizes of some axes (negative axes count from the end).</summary>
    public IReadOnlyDictionary<int, int>? Axes { get; }

    /// <summary>The shape to show in error messages (batch −1), if known.</summary>
    public Shape? ExpectedShape { get; }

    /// <summary>Throws <see cref="ShapeMismatchException"/> naming the layer and both shapes when <paramref name="shape"/> does not fit.</summary>
    public void Check(Layer layer, Shape shape)
    {
        string expected = ExpectedShape?.ToString() ?? Describe();
        if (Rank is int r && shape.Rank != r)
            throw new ShapeMismatchException($"Layer '{layer.Name}' ({layer.GetType().Name}) expects input of rank {r}, shape {expected}, but got shape {shape}.");
        if (MinRank is int mr && shape.Rank < mr)
            throw new ShapeMismatchException($"Layer '{layer.Name}' ({layer.GetType().Name}) expects input of rank >= {mr}, shape {expected}, but got shape {shape}.");
        if (Axes != null)
            foreach (var (axis, size) in Axes)
            {
                int a = axis < 0 ? axis + shape.Rank : axis;
                if (a < 0 || a >= shape.Rank || (shape[a] != size && shape[a] != -1))
                    throw new ShapeMismatchException($"Layer '{layer.Name}' ({layer.GetType().Name}) expects input shape {expected} (axis {axis} = {size}), but got shape {shape}.");
            }
    }

    private string Describe() => Axes == null ? "(any)" : string.Join(", ", Axes.Select(kv => $"axis {kv.Key} = {kv.Value}"));
}
