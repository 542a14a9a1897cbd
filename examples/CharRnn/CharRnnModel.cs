using Praxis.Layers;
using Praxis.Models;
using static Praxis.Keras;

namespace Praxis.Examples;

/// <summary>char-rnn's two models over one set of layers, shared by the example and its ONNX export test.</summary>
public static class CharRnnModel
{
    /// <summary>
    /// Embedding → LSTM → Dense logits twice over the same layers: <c>Train</c> reads windows of
    /// <paramref name="seqLen"/> ids; <c>Step</c> reads one id and the LSTM states (h, c) and returns the logits and the
    /// next states, so generation costs one step per character.
    /// </summary>
    public static (Model Train, Model Step) Build(int vocabSize, int seqLen, int units, int embedDim)
    {
        var embedding = new Embedding(vocabSize, embedDim, name: "embedding");
        var lstm = new LSTM(units, returnSequences: true, returnState: true, name: "lstm");
        var head = new Dense(vocabSize, name: "logits");

        var ids = Input([seqLen], name: "ids");
        var sequence = lstm.ApplyMany(embedding.Apply(ids))[0];
        var model = new Model(ids, head.Apply(sequence), name: "char_rnn");

        var stepIds = Input([1], name: "step_id");
        var hIn = Input([units], name: "h_in");
        var cIn = Input([units], name: "c_in");
        var stepOut = lstm.ApplyMany(embedding.Apply(stepIds), hIn, cIn);
        var step = new Model([stepIds, hIn, cIn], [head.Apply(stepOut[0]), stepOut[1], stepOut[2]], name: "char_rnn_step");
        return (model, step);
    }
}
