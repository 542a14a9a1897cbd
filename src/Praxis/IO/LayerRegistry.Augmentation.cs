using Praxis.Layers;

namespace Praxis.IO;

public static partial class LayerRegistry
{
    /// <summary>The augmentation layers; each reads its own config (<c>FromConfig</c> beside its <c>GetConfig</c>).</summary>
    private static void RegisterAugmentation()
    {
        Register("RandomFlip", RandomFlip.FromConfig);
        Register("RandomRotation", RandomRotation.FromConfig);
        Register("RandomZoom", RandomZoom.FromConfig);
        Register("RandomTranslation", RandomTranslation.FromConfig);
        Register("RandomContrast", RandomContrast.FromConfig);
        Register("RandomCrop", RandomCrop.FromConfig);
        Register("GaussianNoise", GaussianNoise.FromConfig);
        Register("GaussianDropout", GaussianDropout.FromConfig);
    }
}
