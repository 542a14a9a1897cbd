using Praxis.Layers;

namespace Praxis.IO.Onnx;

/// <summary>
/// The augmentation layers in an exported (inference) graph: the identity, as in Keras' inference, except RandomCrop,
/// which keeps its inference behaviour (the largest centred window of the target's aspect ratio, resized bilinearly).
/// </summary>
internal static partial class OnnxConverters
{
    private static void RegisterAugmentationLayers()
    {
        OnnxExporter.Register<RandomFlip>((l, c) => [c.Inputs[0]]);
        OnnxExporter.Register<RandomRotation>((l, c) => [c.Inputs[0]]);
        OnnxExporter.Register<RandomZoom>((l, c) => [c.Inputs[0]]);
        OnnxExporter.Register<RandomTranslation>((l, c) => [c.Inputs[0]]);
        OnnxExporter.Register<RandomContrast>((l, c) => [c.Inputs[0]]);
        OnnxExporter.Register<GaussianNoise>((l, c) => [c.Inputs[0]]);
        OnnxExporter.Register<GaussianDropout>((l, c) => [c.Inputs[0]]);
        OnnxExporter.Register<RandomCrop>(RandomCrop);
    }

    private static string[] RandomCrop(RandomCrop l, OnnxLayerCall c)
    {
        var g = c.Graph;
        var s = c.InputShapes[0];
        int h = s[1], w = s[2];
        if (h < 0 || w < 0)
            throw new NotSupportedException($"Layer '{l.Name}' (RandomCrop): ONNX export needs a known image size; got input shape {s}.");
        var (top, left, ch, cw) = l.CenterWindow(h, w);
        string x = c.Inputs[0];
        if (ch != h || cw != w)
            x = g.Node("Slice", [x, g.ConstantInt64($"{l.Name}/starts", top, left), g.ConstantInt64($"{l.Name}/ends", top + ch, left + cw),
                g.ConstantInt64($"{l.Name}/axes", 1, 2)], l.Name);
        if (ch == l.Height && cw == l.Width) return [x];
        // Resize wants every axis' size: (batch from the input, height, width, channels).
        var batch = g.Node("Slice", [g.Node("Shape", [x], l.Name), g.ConstantInt64($"{l.Name}/b0", 0), g.ConstantInt64($"{l.Name}/b1", 1)], l.Name);
        var sizes = g.Node("Concat", [batch, g.ConstantInt64($"{l.Name}/hwc", l.Height, l.Width, s[3])], l.Name, OnnxAttribute.Int("axis", 0));
        return [g.Node("Resize", [x, "", "", sizes], l.Name, OnnxAttribute.String("mode", "linear"),
            OnnxAttribute.String("coordinate_transformation_mode", "half_pixel"))];
    }
}
