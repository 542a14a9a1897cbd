using Praxis.Layers;

namespace Praxis.IO.Onnx;

/// <summary>
/// Recurrent layers as the ONNX <c>RNN</c>, <c>LSTM</c> and <c>GRU</c> operators (opset 7 forms, time-major layout 0,
/// which every ONNX Runtime provider runs). Keras stores kernels (features, gates·units) with gates side by side;
/// ONNX wants W (1, gates·units, features) and R (1, gates·units, units) with its own gate order: LSTM i, o, f, c
/// (Keras i, f, c, o), GRU z, r, h (as Keras), and B = [input biases | recurrent biases]. Keras' <c>reset_after</c>
/// is ONNX's <c>linear_before_reset</c>.
/// </summary>
/// <remarks>
/// <para><b>go_backwards.</b> ONNX's reverse direction reads the sequence from the end but writes Y in time order;
/// Keras returns it in processing order, so a standalone <c>go_backwards</c> layer reverses Y along time (a
/// Bidirectional wrapper, which flips it back, skips both reversals).</para>
/// <para><b>Masks.</b> A mask from <c>Embedding(mask_zero)</c> becomes <c>sequence_lens</c> = the number of
/// unmasked steps. That is Keras' masking exactly when the padding is at the end of each row (how sequences are
/// padded for these layers, and how every example pads). A mask with holes or with leading padding has no
/// <c>sequence_lens</c> form: rather than answer something else, the exported graph returns NaN for those rows.</para>
/// </remarks>
internal static partial class OnnxConverters
{
    private static void RegisterRecurrentLayers()
    {
        OnnxExporter.Register<SimpleRNN>((l, c) => RecurrentCall(l, c));
        OnnxExporter.Register<LSTM>((l, c) => RecurrentCall(l, c));
        OnnxExporter.Register<GRU>((l, c) => RecurrentCall(l, c));
        OnnxExporter.Register<Bidirectional>(Bidirectional);
    }

    private static string[] RecurrentCall(RecurrentLayer l, OnnxLayerCall c)
    {
        var g = c.Graph;
        var r = Recurrent(g, l, c.Inputs[0], g.MaskOf(c.Inputs[0]), c.Inputs[1..], timeOrder: false);
        if (l.ReturnSequences && g.MaskOf(c.Inputs[0]) is { } m) g.SetMask(r[0], m, g.MaskRank(c.Inputs[0]));
        return r;
    }

    private static string[] Bidirectional(Bidirectional l, OnnxLayerCall c)
    {
        var g = c.Graph;
        string x = c.Inputs[0];
        string? mask = g.MaskOf(x);
        int nf = l.Forward.StateCount;
        var fw = Recurrent(g, l.Forward, x, mask, c.Inputs.Length > 1 ? c.Inputs[1..(1 + nf)] : [], timeOrder: true);
        // The backward sequence in time order is what Keras gets after flipping the backward layer's output.
        var bw = Recurrent(g, l.Backward, x, mask, c.Inputs.Length > 1 ? c.Inputs[(1 + nf)..] : [], timeOrder: true);
        string yf = fw[0], yb = bw[0], n = l.Name;
        string[] merged = l.MergeMode switch
        {
            "concat" => [g.Node("Concat", [yf, yb], n, OnnxAttribute.Int("axis", -1))],
            "sum" => [g.Node("Add", [yf, yb], n)],
            "mul" => [g.Node("Mul", [yf, yb], n)],
            "ave" => [g.Node("Mul", [g.Node("Add", [yf, yb], n), g.Scalar($"{n}/half", 0.5f)], n)],
            _ => [yf, yb],
        };
        if (l.Forward.ReturnSequences && mask is not null)
            foreach (var t in merged) g.SetMask(t, mask, g.MaskRank(x));
        return l.Forward.ReturnState ? [.. merged, .. fw[1..], .. bw[1..]] : merged;
    }

    /// <summary>
    /// One recurrent layer on (N, T, D) input <paramref name="x"/>: returns its Keras outputs (the sequence or last
    /// output, then the states). With <paramref name="timeOrder"/> a go_backwards layer's sequence is left in time
    /// order (for Bidirectional) instead of Keras' processing order.
    /// </summary>
    private static string[] Recurrent(OnnxGraph g, RecurrentLayer l, string x, string? mask, string[] initialStates, bool timeOrder)
    {
        string n = l.Name;
        int u = l.Units;
        var (op, gateOrder) = l switch
        {
            LSTM => ("LSTM", new[] { 0, 3, 1, 2 }), // ONNX i, o, f, c from Keras i, f, c, o
            GRU => ("GRU", new[] { 0, 1, 2 }),
            _ => ("RNN", new[] { 0 }),
        };
        int gates = gateOrder.Length, d = l.Kernel.Shape[0];
        var w = GateMajor(l.Kernel.Span, d, u, gateOrder);
        var r = GateMajor(l.RecurrentKernel.Span, u, u, gateOrder);
        var b = new float[2 * gates * u];
        if (l.Bias is { } bias)
        {
            ReadOnlySpan<float> bs = bias.Span;
            // GRU with reset_after keeps (2, 3U): input biases then recurrent biases, exactly ONNX's [Wb | Rb].
            bool twoRows = bs.Length == 2 * gates * u;
            for (int k = 0; k < gates; k++)
            {
                bs.Slice(gateOrder[k] * u, u).CopyTo(b.AsSpan(k * u));
                if (twoRows) bs.Slice(gates * u + gateOrder[k] * u, u).CopyTo(b.AsSpan(gates * u + k * u));
            }
        }
        var inputs = new List<string>
        {
            g.Node("Transpose", [x], n, OnnxAttribute.Ints("perm", 1, 0, 2)), // (T, N, D)
            g.Constant($"{n}/W", w, 1, gates * u, d),
            g.Constant($"{n}/R", r, 1, gates * u, u),
            g.Constant($"{n}/B", b, 1, 2 * gates * u),
            mask is null ? "" : g.Node("Cast", [g.Node("ReduceSum", [g.Node("Cast", [mask], n, OnnxAttribute.Int("to", 7)), g.ConstantInt64($"{n}/time_axis", 1)], n,
                OnnxAttribute.Int("keepdims", 0))], n, OnnxAttribute.Int("to", 6)), // sequence_lens: int32 (N)
        };
        foreach (var s in initialStates) inputs.Add(Unsqueeze(g, s, 0, n)); // (1, N, U)
        while (inputs.Count > 1 && inputs[^1] == "") inputs.RemoveAt(inputs.Count - 1);

        var attrs = new List<OnnxAttribute>
        {
            OnnxAttribute.Int("hidden_size", u),
            OnnxAttribute.String("direction", l.GoBackwards ? "reverse" : "forward"),
        };
        var acts = new List<string>();
        var alphas = new List<float>();
        var betas = new List<float>();
        void Act(ActivationFunction f)
        {
            switch (f.Name)
            {
                case "tanh": acts.Add("Tanh"); break;
                case "sigmoid": acts.Add("Sigmoid"); break;
                case "relu": acts.Add("Relu"); break;
                // Keras 3's hard_sigmoid: relu6(x + 3)/6 = clip(x/6 + 1/2, 0, 1).
                case "hard_sigmoid": acts.Add("HardSigmoid"); alphas.Add(1f / 6f); betas.Add(0.5f); break;
                case "linear": acts.Add("Affine"); alphas.Add(1f); betas.Add(0f); break;
                default: throw new NotSupportedException($"Layer '{n}' ({l.GetType().Name}): activation '{f.Name}' has no ONNX recurrent form.");
            }
        }
        switch (l)
        {
            case LSTM lstm: Act(lstm.RecurrentActivation); Act(lstm.Activation); Act(lstm.Activation); break;
            case GRU gru:
                Act(gru.RecurrentActivation); Act(gru.Activation);
                attrs.Add(OnnxAttribute.Int("linear_before_reset", gru.ResetAfter ? 1 : 0));
                break;
            default: Act(l.Activation); break;
        }
        attrs.Add(OnnxAttribute.Strings("activations", acts.ToArray()));
        if (alphas.Count > 0)
        {
            attrs.Add(OnnxAttribute.Floats("activation_alpha", alphas.ToArray()));
            attrs.Add(OnnxAttribute.Floats("activation_beta", betas.ToArray()));
        }
        var outs = g.Node(op, inputs.ToArray(), l is LSTM ? 3 : 2, n, attrs.ToArray());
        var states = new string[l.StateCount];
        for (int i = 0; i < states.Length; i++) states[i] = Squeeze(g, outs[1 + i], 0, n); // (N, U)

        string? valid = null;
        if (mask is not null) valid = PrefixMaskRows(g, mask, n);
        string output;
        if (l.ReturnSequences || (mask is not null && l.ZeroOutputForMask))
        {
            var seq = Squeeze(g, outs[0], 1, n); // (T, N, U) in time order, zeros at padded steps
            if (l.GoBackwards && !timeOrder) seq = ReverseAxis(g, seq, 0, n); // Keras' processing order
            seq = g.Node("Transpose", [seq], n, OnnxAttribute.Ints("perm", 1, 0, 2)); // (N, T, U)
            if (mask is not null && !l.ZeroOutputForMask && !l.GoBackwards)
            {
                // Keras repeats the previous output at a masked step: with end padding that is the last real output, h_T.
                var keep = Unsqueeze(g, mask, 2, n);
                seq = g.Node("Where", [keep, seq, Unsqueeze(g, states[0], 1, n)], n);
            }
            output = l.ReturnSequences ? seq : Squeeze(g, g.Node("Gather", [seq, g.ConstantInt64($"{n}/last", -1)], n, OnnxAttribute.Int("axis", 1)), 1, n);
        }
        else output = states[0]; // the last output is the final h (after the last real step, or after step 0 going backwards)
        if (valid is not null)
        {
            output = PoisonRows(g, output, valid, l.ReturnSequences ? 3 : 2, n);
            for (int i = 0; i < states.Length; i++) states[i] = PoisonRows(g, states[i], valid, 2, n);
        }
        return l.ReturnState ? [output, .. states] : [output];
    }

    /// <summary>Keras (rows, gates·units) with gates side by side → ONNX (gates·units, rows) in <paramref name="order"/>.</summary>
    private static float[] GateMajor(ReadOnlySpan<float> kernel, int rows, int units, int[] order)
    {
        int cols = order.Length * units;
        var w = new float[kernel.Length];
        for (int k = 0; k < order.Length; k++)
            for (int j = 0; j < units; j++)
            {
                int src = order[k] * units + j, dst = (k * units + j) * rows;
                for (int i = 0; i < rows; i++) w[dst + i] = kernel[i * cols + src];
            }
        return w;
    }

    /// <summary>(N) bool: whether each row's mask is a run of real steps then padding (the only form sequence_lens expresses).</summary>
    private static string PrefixMaskRows(OnnxGraph g, string mask, string n)
    {
        var m64 = g.Node("Cast", [mask], n, OnnxAttribute.Int("to", 7));
        var lens = g.Node("ReduceSum", [m64, g.ConstantInt64($"{n}/time_axis", 1)], n, OnnxAttribute.Int("keepdims", 1)); // (N, 1)
        var positions = Unsqueeze(g, g.Node("Range", [g.ConstantScalarInt64($"{n}/zero", 0), Dim(g, mask, 1, n), g.ConstantScalarInt64($"{n}/one", 1)], n), 0, n);
        var expected = g.Node("Less", [positions, lens], n); // (N, T): the prefix of the row's length
        // Count the steps that differ (ReduceSum takes its axes as an input at every opset from 13, unlike ReduceMin).
        var differ = g.Node("Cast", [g.Node("Not", [g.Node("Equal", [expected, mask], n)], n)], n, OnnxAttribute.Int("to", 7));
        var count = g.Node("ReduceSum", [differ, g.ConstantInt64($"{n}/time_axis", 1)], n, OnnxAttribute.Int("keepdims", 0));
        return g.Node("Equal", [count, g.ConstantScalarInt64($"{n}/zero", 0)], n);
    }

    /// <summary>Rows whose <paramref name="valid"/> entry is false become NaN (a loud answer instead of a wrong one).</summary>
    private static string PoisonRows(OnnxGraph g, string x, string valid, int rank, string n)
    {
        var v = g.Node("Unsqueeze", [valid, g.ConstantInt64($"{n}/axes", Enumerable.Range(1, rank - 1).Select(a => (long)a).ToArray())], n); // (N, 1, …)
        return g.Node("Where", [v, x, g.Scalar($"{n}/nan", float.NaN)], n);
    }

    private static string Unsqueeze(OnnxGraph g, string x, long axis, string n) => g.Node("Unsqueeze", [x, g.ConstantInt64($"{n}/axes", axis)], n);

    private static string Squeeze(OnnxGraph g, string x, long axis, string n) => g.Node("Squeeze", [x, g.ConstantInt64($"{n}/axes", axis)], n);

    /// <summary>Reverses axis <paramref name="axis"/> (Slice with step −1).</summary>
    private static string ReverseAxis(OnnxGraph g, string x, long axis, string n) =>
        g.Node("Slice", [x, g.ConstantInt64($"{n}/starts", -1), g.ConstantInt64($"{n}/ends", long.MinValue), g.ConstantInt64($"{n}/axes", axis), g.ConstantInt64($"{n}/steps", -1)], n);

    /// <summary>The size of axis <paramref name="axis"/> of <paramref name="x"/> as an int64 scalar.</summary>
    private static string Dim(OnnxGraph g, string x, long axis, string n) =>
        g.Node("Gather", [g.Node("Shape", [x], n), g.ConstantScalarInt64($"{n}/axis", axis)], n, OnnxAttribute.Int("axis", 0));
}
