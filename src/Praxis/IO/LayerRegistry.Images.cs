using Praxis.Layers;

namespace Praxis.IO;

public static partial class LayerRegistry
{
    /// <summary>The image layers of the Keras-coverage work; each reads its own config (<c>FromConfig</c>), one line per layer.</summary>
    private static void RegisterImageLayers()
    {
        Register("DepthwiseConv2D", DepthwiseConv2D.FromConfig);
        Register("SeparableConv2D", SeparableConv2D.FromConfig);
        Register("ZeroPadding2D", ZeroPadding2D.FromConfig);
        Register("Cropping2D", Cropping2D.FromConfig);
        Register("SpatialDropout1D", SpatialDropout1D.FromConfig);
        Register("SpatialDropout2D", SpatialDropout2D.FromConfig);
        Register("GroupNormalization", GroupNormalization.FromConfig);
        Register("Resizing", Resizing.FromConfig);
        Register("CenterCrop", CenterCrop.FromConfig);
    }
}
