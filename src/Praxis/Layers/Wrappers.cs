using Praxis.Regularizers;

namespace Praxis.Layers;

/// <summary>
/// Runs a recurrent layer over the sequence in both directions and merges the results (Keras <c>Bidirectional</c>).
/// As in Keras, the forward and backward layers are rebuilt from the given layer's configuration (named
/// <c>forward_{name}</c> and <c>backward_{name}</c>), the backward one with <c>go_backwards</c> flipped; when returning
/// sequences the backward output is flipped back to input order and both layers output zeros at masked steps.
/// <see cref="MergeMode"/>: <c>concat</c> (default), <c>sum</c>, <c>mul</c>, <c>ave</c>, or null to return both outputs.
/// With <c>return_state</c> the outputs are [merged, forward states…, backward states…]; initial states, when given as
/// extra inputs, are the forward ones followed by the backward ones.
/// </summary>
public sealed class Bidirectional : Layer
{
    /// <summary>Wraps <paramref name="layer"/>.</summary>
    /// <param name="layer">The recurrent layer to run in both directions.</param>
    /// <param name="mergeMode">How to combine the two outputs: "concat", "sum", "mul", "ave" or null (no merge).</param>
    /// <param name="backwardLayer">An explicit backward layer (Keras <c>backward_layer</c>); by default a copy of <paramref name="layer"/>.</param>
    /// <param name="name">Layer name; by default <c>bidirectional</c>, <c>bidirectional_1</c>, …</param>
    public Bidirectional(RecurrentLayer layer, string? mergeMode = "concat", RecurrentLayer? backwardLayer = null, string? name = null) : base(name)
    {
        if (mergeMode is not (null or "concat" or "sum" or "mul" or "ave"))
            throw new ArgumentException($"Bidirectional: unknown merge mode '{mergeMode}'. Known: concat, sum, mul, ave, or null.");
        Layer = layer;
        MergeMode = mergeMode;
        bool zero = layer.ReturnSequences;
        Forward = layer.CloneWith("forward_" + layer.Name, layer.GoBackwards, zero);
        if (backwardLayer is not null)
        {
            if (backwardLayer.GoBackwards == layer.GoBackwards)
                throw new ArgumentException($"Bidirectional: the backward layer '{backwardLayer.Name}' must have go_backwards = {!layer.GoBackwards} (the opposite of '{layer.Name}').");
            if (backwardLayer.ReturnSequences != layer.ReturnSequences || backwardLayer.ReturnState != layer.ReturnState)
                throw new ArgumentException($"Bidirectional: layers '{layer.Name}' and '{backwardLayer.Name}' must agree on return_sequences and return_state.");
            if (backwardLayer.StateCount != layer.StateCount)
                throw new ArgumentException($"Bidirectional: layers '{layer.Name}' and '{backwardLayer.Name}' have different numbers of states.");
            backwardLayer.ZeroOutputForMask = zero;
            Backward = backwardLayer;
        }
        else Backward = layer.CloneWith("backward_" + layer.Name, !layer.GoBackwards, zero);
        SupportsMasking = true;
    }

    /// <summary>The layer given to the constructor (its configuration is used; its weights are not).</summary>
    public RecurrentLayer Layer { get; }

    /// <summary>The layer running forwards.</summary>
    public RecurrentLayer Forward { get; }

    /// <summary>The layer running backwards.</summary>
    public RecurrentLayer Backward { get; }

    /// <summary>The merge mode, or null when both outputs are returned.</summary>
    public string? MergeMode { get; }

    internal override IEnumerable<Layer> OwnedLayers => [Forward, Backward];

    /// <inheritdoc />
    public override bool Trainable
    {
        get => base.Trainable;
        set
        {
            base.Trainable = value;
            Forward.Trainable = value;
            Backward.Trainable = value;
        }
    }

    /// <inheritdoc />
    public override bool ReplaySafe => base.ReplaySafe && Forward.ReplaySafe && Backward.ReplaySafe;

    /// <inheritdoc />
    public override long StructureVersion => base.StructureVersion + Forward.StructureVersion + Backward.StructureVersion;

    /// <inheritdoc />
    public override IReadOnlyList<Tensor> TrainableWeights => Trainable ? [.. Forward.TrainableWeights, .. Backward.TrainableWeights] : [];

    /// <inheritdoc />
    public override IReadOnlyList<Tensor> NonTrainableWeights =>
        Trainable ? [.. Forward.NonTrainableWeights, .. Backward.NonTrainableWeights] : [.. Forward.Weights, .. Backward.Weights];

    /// <inheritdoc />
    public override void Build(Shape inputShape)
    {
        Forward.Build(inputShape);
        Backward.Build(inputShape);
        Built = true;
    }

    /// <inheritdoc />
    public override void Build(Shape[] inputShapes) => Build(inputShapes[0]);

    /// <inheritdoc />
    protected override void CheckInputShapes(Shape[] shapes)
    {
        int states = Forward.StateCount + Backward.StateCount;
        if (shapes.Length != 1 && shapes.Length != 1 + states)
            throw new ArgumentException($"Layer '{Name}' (Bidirectional) takes a sequence and optionally {states} initial states (forward then backward); got {shapes.Length} inputs.");
    }

    /// <inheritdoc />
    public override Tensor Call(Tensor input, bool training) => Call([input], training)[0];

    /// <inheritdoc />
    public override Tensor[] Call(Tensor[] inputs, bool training)
    {
        CheckInputShapes(inputs.Select(t => t.Shape).ToArray());
        var x = inputs[0];
        int nf = Forward.StateCount;
        Tensor[] fwIn = inputs.Length > 1 ? [x, .. inputs[1..(1 + nf)]] : [x];
        Tensor[] bwIn = inputs.Length > 1 ? [x, .. inputs[(1 + nf)..]] : [x];
        var fw = Forward.Call(fwIn, training);
        var bw = Backward.Call(bwIn, training);
        var yf = fw[0];
        var yb = bw[0];
        if (Forward.ReturnSequences) yb = yb.Flip(1);
        Tensor[] merged = MergeMode switch
        {
            "concat" => [Tensor.Concat([yf, yb], -1)],
            "sum" => [yf + yb],
            "mul" => [yf * yb],
            "ave" => [(yf + yb) * 0.5f],
            _ => [yf, yb],
        };
        if (Forward.ReturnSequences && x.Mask is { } m)
            foreach (var t in merged) t.Mask = m;
        if (!Forward.ReturnState) return merged;
        return [.. merged, .. fw[1..], .. bw[1..]];
    }

    /// <inheritdoc />
    public override Shape[] ComputeOutputShapes(Shape[] inputShapes)
    {
        var f = Forward.ComputeOutputShapes([inputShapes[0]]);
        var b = Backward.ComputeOutputShapes([inputShapes[0]]);
        Shape[] merged = MergeMode == "concat" ? [f[0].With(-1, f[0][-1] + b[0][-1])] : MergeMode is null ? [f[0], b[0]] : [f[0]];
        return [.. merged, .. f[1..], .. b[1..]];
    }

    /// <summary>Rebuilds the layer from its saved config (<see cref="GetConfig"/>); every default is written here once.</summary>
    public static Bidirectional FromConfig(LayerConfig c) => new Bidirectional(c.GetRecurrentLayer("layer")!, c.Has("merge_mode") ? c.GetChoice("merge_mode", "concat", "concat", "sum", "mul", "ave") : null,
        c.GetRecurrentLayer("backward_layer", required: false), c.Name);

    /// <inheritdoc />
    public override Dictionary<string, object?> GetConfig()
    {
        var c = base.GetConfig();
        c["layer"] = new Dictionary<string, object?> { ["class_name"] = Layer.GetType().Name, ["config"] = Layer.GetConfig() };
        c["merge_mode"] = MergeMode;
        c["backward_layer"] = new Dictionary<string, object?> { ["class_name"] = Backward.GetType().Name, ["config"] = Backward.GetConfig() };
        return c;
    }
}

/// <summary>
/// Applies a layer to every time step independently (Keras <c>TimeDistributed</c>): input (batch, time, …) is folded to
/// (batch·time, …), passed through the inner layer, and unfolded to (batch, time, …). The mask passes through.
/// </summary>
public sealed class TimeDistributed : Layer
{
    /// <summary>Wraps <paramref name="layer"/>.</summary>
    /// <param name="layer">The layer applied to every time step.</param>
    /// <param name="name">Layer name; generated when null.</param>
    /// <param name="activityRegularizer">Penalty on the whole (batch, time, …) output (Keras' base-layer <c>activity_regularizer</c>), added to the loss.</param>
    public TimeDistributed(Layer layer, string? name = null, Regularizer? activityRegularizer = null) : base(name)
    {
        ArgumentNullException.ThrowIfNull(layer);
        Layer = layer;
        ActivityRegularizer = activityRegularizer;
        SupportsMasking = true;
    }

    /// <summary>The wrapped layer.</summary>
    public Layer Layer { get; }

    internal override IEnumerable<Layer> OwnedLayers => [Layer];

    /// <inheritdoc />
    public override bool Trainable
    {
        get => base.Trainable;
        set
        {
            base.Trainable = value;
            Layer.Trainable = value;
        }
    }

    /// <inheritdoc />
    public override bool ReplaySafe => base.ReplaySafe && Layer.ReplaySafe;

    /// <inheritdoc />
    public override long StructureVersion => base.StructureVersion + Layer.StructureVersion;

    /// <inheritdoc />
    public override IReadOnlyList<Tensor> TrainableWeights => Trainable ? Layer.TrainableWeights : [];

    /// <inheritdoc />
    public override IReadOnlyList<Tensor> NonTrainableWeights => Trainable ? Layer.NonTrainableWeights : Layer.Weights;

    /// <inheritdoc />
    public override void Build(Shape inputShape)
    {
        if (inputShape.Rank < 3)
            throw new ShapeMismatchException($"Layer '{Name}' (TimeDistributed) expects input of rank >= 3 (batch, time, …); got shape {inputShape}.");
        if (!Layer.Built) Layer.Build(InnerShape(inputShape));
        InputSpec = new InputSpec(minRank: 3);
        Built = true;
    }

    private static Shape InnerShape(Shape s) => new Shape(s.Dims[2..]).Prepend(-1);

    /// <inheritdoc />
    public override Tensor Call(Tensor input, bool training)
    {
        var s = input.Shape;
        int b = s[0], t = s[1];
        var folded = input.Reshape(new Shape(s.Dims[2..]).Prepend(b * t).ToArray());
        var y = Layer.Call([folded], training)[0];
        return y.Reshape(new Shape(y.Shape.Dims[1..]).Prepend(t).Prepend(b).ToArray());
    }

    /// <inheritdoc />
    public override Shape[] ComputeOutputShapes(Shape[] inputShapes)
    {
        var s = inputShapes[0];
        var inner = Layer.ComputeOutputShapes([InnerShape(s)])[0];
        return [new Shape(inner.Dims[1..]).Prepend(s[1]).Prepend(s[0])];
    }

    /// <summary>Rebuilds the layer from its saved config (<see cref="GetConfig"/>); every default is written here once.</summary>
    public static TimeDistributed FromConfig(LayerConfig c) => new TimeDistributed(c.GetLayer("layer")!, c.Name, c.GetRegularizer("activity_regularizer"));

    /// <inheritdoc />
    public override Dictionary<string, object?> GetConfig()
    {
        var c = base.GetConfig();
        c["layer"] = new Dictionary<string, object?> { ["class_name"] = Layer.GetType().Name, ["config"] = Layer.GetConfig() };
        // Written only when set, so files without one keep their exact bytes.
        if (ActivityRegularizer != null) c["activity_regularizer"] = ActivityRegularizer.ToConfigValue();
        return c;
    }
}
