using Praxis.Layers;

namespace Praxis.IO;

public static partial class LayerRegistry
{
    /// <summary>The 1-D (sequence) layers and the preprocessing layers; kept in their own file, one line per layer.</summary>
    private static void RegisterSequence1DAndPreprocessing()
    {
        Register("Conv1D", Conv1D.FromConfig);
        Register("SeparableConv1D", SeparableConv1D.FromConfig);
        Register("MaxPooling1D", MaxPooling1D.FromConfig);
        Register("AveragePooling1D", AveragePooling1D.FromConfig);
        Register("GlobalMaxPooling1D", GlobalMaxPooling1D.FromConfig);
        Register("GlobalAveragePooling1D", GlobalAveragePooling1D.FromConfig);
        Register("UpSampling1D", UpSampling1D.FromConfig);
        Register("ZeroPadding1D", ZeroPadding1D.FromConfig);
        Register("Cropping1D", Cropping1D.FromConfig);
        Register("RepeatVector", RepeatVector.FromConfig);
        Register("Permute", Permute.FromConfig);
        Register("Masking", Masking.FromConfig);
        // Preprocessing
        Register("Rescaling", Rescaling.FromConfig);
        Register("Normalization", Normalization.FromConfig);
        Register("CategoryEncoding", CategoryEncoding.FromConfig);
        Register("IntegerLookup", IntegerLookup.FromConfig);
        Register("StringLookup", StringLookup.FromConfig);
        Register("Hashing", Hashing.FromConfig);
        Register("TextVectorization", TextVectorization.FromConfig);
    }
}
