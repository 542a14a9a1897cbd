using Praxis.Layers;

namespace Praxis.IO.Onnx;

/// <summary>The library's ONNX converters: one registration per layer type and per activation name.</summary>
internal static partial class OnnxConverters
{
    /// <summary>Add the converter of a new library layer here (one line, or a method below for longer ones).</summary>
    internal static void RegisterBuiltIns()
    {
        // Activations by Keras name.
        OnnxExporter.RegisterActivation("linear", (g, x, h) => x);
        OnnxExporter.RegisterActivation("relu", (g, x, h) => g.Node("Relu", [x], h));
        OnnxExporter.RegisterActivation("sigmoid", (g, x, h) => g.Node("Sigmoid", [x], h));
        OnnxExporter.RegisterActivation("tanh", (g, x, h) => g.Node("Tanh", [x], h));
        // Opset >= 13 (enforced): Softmax normalises along `axis` only, as Keras does.
        OnnxExporter.RegisterActivation("softmax", (g, x, h) => g.Node("Softmax", [x], h, OnnxAttribute.Int("axis", -1)));
        OnnxExporter.RegisterActivation("log_softmax", (g, x, h) => g.Node("LogSoftmax", [x], h, OnnxAttribute.Int("axis", -1)));
        OnnxExporter.RegisterActivation("leaky_relu", (g, x, h) => g.Node("LeakyRelu", [x], h, OnnxAttribute.Float("alpha", 0.2f)));
        OnnxExporter.RegisterActivation("elu", (g, x, h) => g.Node("Elu", [x], h, OnnxAttribute.Float("alpha", 1f)));
        OnnxExporter.RegisterActivation("softplus", (g, x, h) => g.Node("Softplus", [x], h));
        OnnxExporter.RegisterActivation("swish", Swish);
        OnnxExporter.RegisterActivation("silu", Swish);
        OnnxExporter.RegisterActivation("gelu", Gelu);
        OnnxExporter.RegisterActivation("gelu_approximate", GeluTanh);
        // Keras 3's hard_sigmoid, relu6(x + 3) / 6 = clip(x/6 + 1/2, 0, 1): ONNX HardSigmoid with alpha 1/6, beta 1/2.
        OnnxExporter.RegisterActivation("hard_sigmoid", (g, x, h) => g.Node("HardSigmoid", [x], h, OnnxAttribute.Float("alpha", 1f / 6f), OnnxAttribute.Float("beta", 0.5f)));

        // Layers.
        OnnxExporter.Register<InputLayer>((layer, call) => [call.Inputs[0]]);
        OnnxExporter.Register<Activation>((layer, call) => [call.Graph.Activation(layer.Function, call.Inputs[0], layer.Name)]);
        OnnxExporter.Register<Dense>(Dense);
        RegisterImageLayers();
        RegisterSequenceLayers();
        RegisterRecurrentLayers();
        RegisterAttentionLayers();
        RegisterSequence1DLayers();
        RegisterImage2DLayers();
        RegisterAugmentationLayers();
        RegisterPreprocessingLayers();
    }

    private static string Swish(OnnxGraph g, string x, string h) => g.Node("Mul", [x, g.Node("Sigmoid", [x], h)], h);

    /// <summary>Exact GELU: the Gelu op from opset 20, else x·½·(1 + erf(x/√2)).</summary>
    private static string Gelu(OnnxGraph g, string x, string h)
    {
        if (g.Opset >= 20) return g.Node("Gelu", [x], h);
        var scaled = g.Node("Div", [x, g.Scalar($"{h}/sqrt2", MathF.Sqrt(2f))], h);
        var erf1 = g.Node("Add", [g.Node("Erf", [scaled], h), g.Scalar($"{h}/one", 1f)], h);
        return g.Node("Mul", [g.Node("Mul", [x, erf1], h), g.Scalar($"{h}/half", 0.5f)], h);
    }

    /// <summary>GELU's tanh form (GPT-2's): the Gelu op with approximate "tanh" from opset 20, else ½x(1 + tanh(√(2/π)(x + 0.044715x³))).</summary>
    private static string GeluTanh(OnnxGraph g, string x, string h)
    {
        if (g.Opset >= 20) return g.Node("Gelu", [x], h, OnnxAttribute.String("approximate", "tanh"));
        var cube = g.Node("Mul", [g.Node("Mul", [x, x], h), x], h);
        var inner = g.Node("Add", [x, g.Node("Mul", [cube, g.Scalar($"{h}/cubic", 0.044715f)], h)], h);
        var t = g.Node("Tanh", [g.Node("Mul", [inner, g.Scalar($"{h}/sqrt_2_over_pi", MathF.Sqrt(2f / MathF.PI))], h)], h);
        var onePlus = g.Node("Add", [t, g.Scalar($"{h}/one", 1f)], h);
        return g.Node("Mul", [g.Node("Mul", [x, onePlus], h), g.Scalar($"{h}/half", 0.5f)], h);
    }

    /// <summary>x·W + b on the last axis: Gemm for matrices, MatMul (+ Add) for higher ranks, then the activation.</summary>
    private static string[] Dense(Dense layer, OnnxLayerCall call)
    {
        var g = call.Graph;
        string x = call.Inputs[0], w = g.Weight(layer.Kernel);
        string y;
        if (call.InputShapes[0].Rank == 2 && layer.Bias != null) y = g.Node("Gemm", [x, w, g.Weight(layer.Bias)], layer.Name);
        else
        {
            y = g.Node("MatMul", [x, w], layer.Name);
            if (layer.Bias != null) y = g.Node("Add", [y, g.Weight(layer.Bias)], layer.Name);
        }
        return [g.Activation(layer.Activation, y, layer.Name)];
    }
}
