using Praxis.Initializers;
using Praxis.Layers;
using Praxis.Models;
using static Praxis.Keras;

namespace Praxis.Examples;

/// <summary>The nanoGPT-style character GPT, shared by the example and its ONNX export test.</summary>
public static class CharGptModel
{
    /// <summary>
    /// ids (blockSize) → token + learned position embeddings → <paramref name="layers"/> pre-LayerNorm blocks of causal
    /// self-attention and a GELU MLP → LayerNorm → the head tied to the token embedding (logits, vocabSize per position).
    /// No biases; kernels N(0, 0.02), the residual projections N(0, 0.02/√(2·layers)) as nanoGPT.
    /// </summary>
    public static Model Build(int vocabSize, int layers = 4, int heads = 4, int embed = 128, int blockSize = 64)
    {
        var normal = new RandomNormal(0f, 0.02f);
        var residualInit = new RandomNormal(0f, 0.02f / MathF.Sqrt(2 * layers));
        var ids = Input([blockSize], name: "ids");
        var wte = new ReversibleEmbedding(vocabSize, embed, embeddingsInitializer: normal, name: "wte");
        var tokens = wte.Apply(ids);
        var x = new Add(name: "embed").Apply(tokens, new PositionEmbedding(blockSize, normal, name: "wpe").Apply(tokens));
        var attentions = new List<MultiHeadAttention>();
        for (int l = 0; l < layers; l++)
        {
            var h = new LayerNormalization(epsilon: 1e-5f, center: false, name: $"h{l}_ln_1").Apply(x);
            var mha = new MultiHeadAttention(heads, embed / heads, useBias: false, kernelInitializer: normal, name: $"h{l}_attn");
            attentions.Add(mha);
            x = new Add(name: $"h{l}_res_1").Apply(x, mha.Apply(h, h, useCausalMask: true));
            h = new LayerNormalization(epsilon: 1e-5f, center: false, name: $"h{l}_ln_2").Apply(x);
            h = new Dense(4 * embed, activation: "gelu", useBias: false, kernelInitializer: normal, name: $"h{l}_mlp_fc").Apply(h);
            h = new Dense(embed, useBias: false, kernelInitializer: residualInit, name: $"h{l}_mlp_proj").Apply(h);
            x = new Add(name: $"h{l}_res_2").Apply(x, h);
        }
        x = new LayerNormalization(epsilon: 1e-5f, center: false, name: "ln_f").Apply(x);
        var model = new Model(ids, wte.ApplyReverse(x), name: "chargpt");
        foreach (var mha in attentions) residualInit.Fill(mha.OutputKernel, Rng.Global); // attention c_proj, as nanoGPT
        return model;
    }
}
