using Praxis.Layers;

namespace Praxis.IO;

public static partial class LayerRegistry
{
    /// <summary>The 1-D (sequence) layers and the preprocessing layers; kept in their own file, one line per layer.</summary>
    private static void RegisterSequence1DAndPreprocessing()
    {
        Register("Conv1D", c => new Conv1D(c.GetInt("filters"), One(c, "kernel_size", null), One(c, "strides", 1), Padding1D(c, causal: true),
            One(c, "dilation_rate", 1), c.GetInt("groups", 1), c.GetActivation("activation"), c.GetBool("use_bias", true),
            c.GetInitializer("kernel_initializer", "glorot_uniform"), c.GetInitializer("bias_initializer", "zeros"), ChannelsLast(c)));
        Register("SeparableConv1D", c => new SeparableConv1D(c.GetInt("filters"), One(c, "kernel_size", null), One(c, "strides", 1), Padding1D(c, causal: true),
            One(c, "dilation_rate", 1), c.GetInt("depth_multiplier", 1), c.GetActivation("activation"), c.GetBool("use_bias", true),
            c.GetInitializer("depthwise_initializer", "glorot_uniform"), c.GetInitializer("pointwise_initializer", "glorot_uniform"),
            c.GetInitializer("bias_initializer", "zeros"), ChannelsLast(c)));
        Register("MaxPooling1D", c => new MaxPooling1D(One(c, "pool_size", 2), c.Has("strides") ? One(c, "strides", null) : null, Padding1D(c, causal: false), ChannelsLast(c)));
        Register("AveragePooling1D", c => new AveragePooling1D(One(c, "pool_size", 2), c.Has("strides") ? One(c, "strides", null) : null, Padding1D(c, causal: false), ChannelsLast(c)));
        Register("GlobalMaxPooling1D", c => new GlobalMaxPooling1D(c.GetBool("keepdims", false), ChannelsLast(c)));
        Register("GlobalAveragePooling1D", c => new GlobalAveragePooling1D(c.GetBool("keepdims", false), ChannelsLast(c)));
        Register("UpSampling1D", c => new UpSampling1D(c.GetInt("size", 2), c.Name));
        Register("ZeroPadding1D", c => { var p = Pair(c, "padding", 1); return new ZeroPadding1D((p[0], p[1]), c.Name); });
        Register("Cropping1D", c => { var p = Pair(c, "cropping", 1); return new Cropping1D((p[0], p[1]), c.Name); });
        Register("RepeatVector", c => new RepeatVector(c.GetInt("n"), c.Name));
        Register("Permute", c => new Permute(c.GetIntArray("dims"), c.Name));
    }

    /// <summary>A Keras 1-D "int or 1-tuple" argument (saved as <c>[3]</c>, written by hand as <c>3</c>).</summary>
    private static int One(LayerConfig c, string key, int? fallback) => c.GetIntTuple(key, 1, fallback is int f ? [f] : null)[0];

    /// <summary>A Keras "int or pair" argument as two ints.</summary>
    private static int[] Pair(LayerConfig c, string key, int fallback) => c.GetIntTuple(key, 2, [fallback, fallback]);

    private static string Padding1D(LayerConfig c, bool causal) =>
        causal ? c.GetChoice("padding", "valid", "valid", "same", "causal") : c.GetChoice("padding", "valid", "valid", "same");
}
