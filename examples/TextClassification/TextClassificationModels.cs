using Praxis.Layers;
using Praxis.Models;
using static Praxis.Keras;

namespace Praxis.Examples;

/// <summary>
/// keras.io's text CNN and a small transformer encoder, each with its (unadapted) TextVectorization, shared by the
/// example and its ONNX export test. The models read token ids (the vectorizer's output); strings stay in C#.
/// </summary>
public static class TextClassificationModels
{
    /// <summary>
    /// TextVectorization(maxTokens, sequenceLength) → Embedding(maxTokens, 128) → Dropout 0.5 → Conv1D(128, 7,
    /// strides 3, relu) ×2 → GlobalMaxPooling1D → Dense(128, relu) → Dropout 0.5 → Dense(1, sigmoid).
    /// </summary>
    public static (TextVectorization Vectorizer, Model Model) Cnn(int maxTokens = 20000, int sequenceLength = 500, int embeddingDim = 128)
    {
        var vectorizer = new TextVectorization(maxTokens: maxTokens, outputMode: "int", outputSequenceLength: sequenceLength);
        var inputs = Input([sequenceLength], name: "token_ids");
        var x = new Embedding(maxTokens, embeddingDim).Apply(inputs);
        x = new Dropout(0.5f).Apply(x);
        x = new Conv1D(128, 7, padding: "valid", activation: "relu", strides: 3).Apply(x);
        x = new Conv1D(128, 7, padding: "valid", activation: "relu", strides: 3).Apply(x);
        x = new GlobalMaxPooling1D().Apply(x);
        x = new Dense(128, activation: "relu").Apply(x);
        x = new Dropout(0.5f).Apply(x);
        var predictions = new Dense(1, activation: "sigmoid", name: "predictions").Apply(x);
        return (vectorizer, new Model(inputs, predictions, name: "text_cnn"));
    }

    /// <summary>
    /// TextVectorization(vocabSize, maxLen) → token + position embeddings (32) → one encoder block (MultiHeadAttention
    /// 2 heads × 32, residual, LayerNorm ε 1e-6, Dense 32 relu → Dense 32, residual, LayerNorm) →
    /// GlobalAveragePooling1D → Dropout 0.1 → Dense(20, relu) → Dropout 0.1 → Dense(1, sigmoid).
    /// </summary>
    public static (TextVectorization Vectorizer, Model Model) Transformer(int vocabSize = 20000, int maxLen = 200)
    {
        const int embedDim = 32, numHeads = 2, ffDim = 32;
        var vectorizer = new TextVectorization(maxTokens: vocabSize, outputMode: "int", outputSequenceLength: maxLen);
        var inputs = Input([maxLen], name: "token_ids");
        var tokens = new Embedding(vocabSize, embedDim).Apply(inputs);
        var x = new Add().Apply(tokens, new PositionEmbedding(maxLen).Apply(tokens));
        var attention = new MultiHeadAttention(numHeads, embedDim).Apply(x, x);
        x = new LayerNormalization(epsilon: 1e-6f).Apply(new Add().Apply(x, new Dropout(0.1f).Apply(attention)));
        var ffn = new Dense(embedDim).Apply(new Dense(ffDim, activation: "relu").Apply(x));
        x = new LayerNormalization(epsilon: 1e-6f).Apply(new Add().Apply(x, new Dropout(0.1f).Apply(ffn)));
        x = new GlobalAveragePooling1D().Apply(x);
        x = new Dropout(0.1f).Apply(x);
        x = new Dense(20, activation: "relu").Apply(x);
        x = new Dropout(0.1f).Apply(x);
        var outputs = new Dense(1, activation: "sigmoid").Apply(x);
        return (vectorizer, new Model(inputs, outputs, name: "text_transformer"));
    }
}
