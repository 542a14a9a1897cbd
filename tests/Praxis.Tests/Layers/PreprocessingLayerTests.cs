using Praxis.Layers;
using Praxis.Models;
using Praxis.Tests.IO;

namespace Praxis.Tests.Layers;

/// <summary>
/// Preprocessing layers against the values in Keras' own docstrings (computed there by TensorFlow), hand-worked
/// formulas, and end-to-end text models that save their vocabulary.
/// </summary>
[Collection("Global state")]
public class PreprocessingLayerTests
{
    private static float[] F(params float[] v) => v;

    [Fact]
    public void RescalingScalesAndShifts()
    {
        var y = new Rescaling(1f / 127.5f, offset: -1f).Apply(Tensor.FromArray([0, 127.5f, 255], 1, 3));
        Assert.Equal(F(-1, 0, 1), y.ToArray());
        GradCheck.Check(t => new Rescaling(0.5f, 2f).Apply(t[0]), GradCheck.Rand(new Rng(1), 2, 3));
    }

    [Fact]
    public void NormalizationAdaptsPerFeature()
    {
        // Keras' docstring: adapt on [[0.], [0.5], [1.]] then [[0.], [0.5], [1.]] → [-1.2247, 0, 1.2247].
        var layer = new Normalization();
        var data = Tensor.FromArray([0f, 0.5f, 1f], 3, 1);
        layer.Adapt(data);
        var y = layer.Apply(data).ToArray();
        Assert.Equal(-1.2247449f, y[0], 5);
        Assert.Equal(0f, y[1], 6);
        Assert.Equal(1.2247449f, y[2], 5);
        // Two features with their own statistics; invert maps back.
        var two = Tensor.FromArray([1, 10, 3, 30, 5, 50], 3, 2);
        var n = new Normalization();
        n.Adapt(two);
        Assert.Equal(F(3, 30), n.Mean.ToArray());
        Assert.Equal(8f / 3, n.Variance.ToArray()[0], 5);
        Assert.Equal(800f / 3, n.Variance.ToArray()[1], 3);
        var inv = new Normalization(mean: n.Mean.ToArray(), variance: n.Variance.ToArray(), invert: true);
        var back = inv.Apply(n.Apply(two)).ToArray();
        for (int i = 0; i < 6; i++) Assert.Equal(two.ToArray()[i], back[i], 4);
        // Axis 1 of a (batch, steps, features) input: one mean per step.
        var perStep = new Normalization(axis: 1);
        perStep.Adapt(Tensor.FromArray([1, 1, 2, 2, 3, 3, 4, 4], 2, 2, 2));
        Assert.Equal(F(2, 3), perStep.Mean.ToArray());
        GradCheck.Check(t => n.Apply(t[0]), GradCheck.Rand(new Rng(2), 3, 2));
        // A wrong Adapt shape changes nothing and names the layer.
        var e = Assert.Throws<ShapeMismatchException>(() => n.Adapt(Tensor.FromArray([1, 2, 3], 1, 3)));
        Assert.Contains("(Normalization)", e.Message);
        Assert.Equal(F(3, 30), n.Mean.ToArray());
    }

    [Fact]
    public void NormalizationInsideAModelTrainsAndSaves()
    {
        Keras.ClearSession();
        Keras.SetRandomSeed(3);
        var x = Tensor.RandomNormal(new Shape(32, 3), mean: 50f, std: 10f, rng: new Rng(4));
        var y = (x.Sum(1, keepDims: true) - 150f) * 0.01f;
        var norm = new Normalization();
        norm.Adapt(x);
        var i = Keras.Input([3]);
        var model = new Model(i, new Dense(1).Apply(norm.Apply(i)));
        model.Compile("adam", "mse");
        model.Fit(x, y, epochs: 2, batchSize: 8, verbose: 0);
        using var dir = new TempDir();
        model.Save(dir.File("n.praxis"));
        var loaded = Model.Load(dir.File("n.praxis"));
        Assert.Equal(model.Predict(x).ToArray(), loaded.Predict(x).ToArray());
        Assert.Empty(norm.TrainableWeights); // the statistics are not trained
    }

    [Fact]
    public void TextVectorizationMatchesKerasDocstrings()
    {
        // Adapted on "foo", "bar", "baz" (one each: ties sorted by token, descending) → foo 2, baz 3, bar 4; OOV 1; pad 0.
        var tv = new TextVectorization(maxTokens: 5000, outputMode: "int", outputSequenceLength: 4);
        tv.Adapt(["foo", "bar", "baz"]);
        Assert.Equal(["", "[UNK]", "foo", "baz", "bar"], tv.GetVocabulary());
        Assert.Equal(F(2, 1, 4, 0, 1, 3, 0, 0), tv.Apply(["foo qux bar", "qux baz"]).ToArray());
        // A given vocabulary; longer samples are truncated.
        var fixedVocab = new TextVectorization(maxTokens: 5000, outputSequenceLength: 4, vocabulary: ["earth", "wind", "and", "fire"]);
        Assert.Equal(F(2, 3, 4, 1, 5, 4, 2, 1), fixedVocab.Apply(["earth wind and also fire", "fire and earth michigan"]).ToArray());
    }

    [Fact]
    public void TextVectorizationStandardizesSplitsAndCounts()
    {
        var tv = new TextVectorization();
        Assert.Equal("hello world its me", tv.StandardizeText("Hello, World! It's me."));
        Assert.Equal(["a", "b", "c", "a b", "b c"], new TextVectorization(ngrams: 2).Tokens("a b c"));
        Assert.Equal(["a", "b", "c", "a b c"], new TextVectorization(ngramSizes: [1, 3]).Tokens("A  b\tc"));
        // Counts: "the" ×3, "cat" ×2, "sat" ×1; max_tokens 4 keeps pad, OOV and the two most frequent.
        var corpus = new[] { "The cat sat.", "the cat", "THE" };
        var small = new TextVectorization(maxTokens: 4);
        small.Adapt(corpus);
        Assert.Equal(["", "[UNK]", "the", "cat"], small.GetVocabulary());
        // Without output_sequence_length, int output pads to the longest sample.
        Assert.Equal(new Shape(2, 3), small.Apply(["the cat sat", "cat"]).Shape);
        var multi = new TextVectorization(outputMode: "multi_hot");
        multi.Adapt(corpus);
        Assert.Equal(["[UNK]", "the", "cat", "sat"], multi.GetVocabulary());
        Assert.Equal(F(1, 1, 0, 1), multi.Apply(["the dog sat the"]).ToArray());
        var count = new TextVectorization(outputMode: "count", maxTokens: 6, padToMaxTokens: true);
        count.Adapt(corpus);
        Assert.Equal(F(1, 2, 0, 1, 0, 0), count.Apply(["the dog sat the"]).ToArray());
        // tf-idf: count × log(1 + docs / (1 + doc_count)); OOV gets the mean IDF of the learned tokens.
        var tfidf = new TextVectorization(outputMode: "tf_idf");
        tfidf.Adapt(corpus);
        double idfThe = Math.Log(1 + 3.0 / 4), idfCat = Math.Log(1 + 3.0 / 3), idfSat = Math.Log(1 + 3.0 / 2);
        var v = tfidf.Apply(["the the sat dog"]).ToArray();
        Assert.Equal((idfThe + idfCat + idfSat) / 3, v[0], 5);
        Assert.Equal(2 * idfThe, v[1], 5);
        Assert.Equal(0, v[2], 6);
        Assert.Equal(idfSat, v[3], 5);
    }

    [Fact]
    public void TextVectorizationErrorsAreClear()
    {
        var tv = new TextVectorization(name: "tv");
        var e = Assert.Throws<InvalidOperationException>(() => tv.Apply(["a"]));
        Assert.Contains("Layer 'tv' (TextVectorization) has no vocabulary", e.Message);
        Assert.Throws<ArgumentException>(() => new TextVectorization(outputMode: "multi_hot", outputSequenceLength: 3));
        Assert.Throws<ArgumentException>(() => new TextVectorization(standardize: "upper"));
        Assert.Throws<ArgumentException>(() => new TextVectorization(vocabulary: ["a", "a"]));
        var n = Assert.Throws<NotSupportedException>(() => tv.Call(Tensor.FromArray([1f], 1, 1), false));
        Assert.Contains("takes strings", n.Message);
    }

    [Fact]
    public void StringLookupMatchesKerasDocstrings()
    {
        var lookup = new StringLookup(vocabulary: ["a", "b", "c", "d"]);
        Assert.Equal(F(1, 3, 4, 4, 0, 2), lookup.Apply([["a", "c", "d"], ["d", "z", "b"]]).ToArray());
        var oneHot = new StringLookup(vocabulary: ["a", "b", "c", "d"], outputMode: "one_hot");
        Assert.Equal(F(0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0), oneHot.Apply(["a", "b", "c", "d", "z"]).ToArray());
        var multi = new StringLookup(vocabulary: ["a", "b", "c", "d"], outputMode: "multi_hot");
        Assert.Equal(F(0, 1, 0, 1, 1, 1, 0, 1, 0, 1), multi.Apply([["a", "c", "d", "d"], ["d", "z", "b", "z"]]).ToArray());
        var count = new StringLookup(vocabulary: ["a", "b", "c", "d"], outputMode: "count");
        Assert.Equal(F(0, 1, 0, 1, 2, 2, 0, 1, 0, 1), count.Apply([["a", "c", "d", "d"], ["d", "z", "b", "z"]]).ToArray());
        var masked = new StringLookup(maskToken: "", vocabulary: ["a", "b"]);
        Assert.Equal(["", "[UNK]", "a", "b"], masked.GetVocabulary());
        Assert.Equal(F(2, 0, 1), masked.Apply([["a", "", "q"]]).ToArray());
        var strict = new StringLookup(numOovIndices: 0, vocabulary: ["a"], name: "s");
        Assert.Contains("'z'", Assert.Throws<ArgumentException>(() => strict.Apply(["z"])).Message);
        var adapted = new StringLookup();
        adapted.Adapt(["b", "a", "b", "c"]);
        Assert.Equal(["[UNK]", "b", "c", "a"], adapted.GetVocabulary());
    }

    [Fact]
    public void IntegerLookupMatchesKerasDocstringsInsideAModel()
    {
        Keras.ClearSession();
        var layer = new IntegerLookup(vocabulary: [12, 36, 1138, 42]);
        var i = Keras.Input([3]);
        var model = new Model(i, layer.Apply(i));
        Assert.Equal(F(1, 3, 4, 4, 0, 2), model.Predict(Tensor.FromArray([12, 1138, 42, 42, 1000, 36], 2, 3)).ToArray());
        var adapted = new IntegerLookup();
        adapted.Adapt(Tensor.FromArray([12, 1138, 42, 42, 1000, 36], 2, 3));
        Assert.Equal([-1L, 42, 1138, 1000, 36, 12], adapted.GetVocabulary());
        var multi = new IntegerLookup(vocabulary: [12, 36, 1138, 42], outputMode: "multi_hot");
        Assert.Equal(F(0, 1, 0, 1, 1, 1, 0, 1, 0, 1), multi.Apply(Tensor.FromArray([12, 1138, 42, 42, 42, 1000, 36, 1000], 2, 4)).ToArray());
        Assert.Contains("integer", Assert.Throws<ArgumentException>(() => layer.Apply(Tensor.FromArray([1.5f], 1, 1))).Message);
    }

    [Fact]
    public void CategoryEncodingMatchesKerasDocstrings()
    {
        var oneHot = new CategoryEncoding(4, outputMode: "one_hot");
        Assert.Equal(F(0, 0, 0, 1, 0, 0, 1, 0, 1, 0, 0, 0, 0, 1, 0, 0), oneHot.Apply(Tensor.FromArray([3, 2, 0, 1], 4)).ToArray());
        var multi = new CategoryEncoding(4);
        Assert.Equal(F(1, 1, 0, 0, 1, 0, 0, 0, 0, 1, 1, 0, 0, 1, 0, 1), multi.Apply(Tensor.FromArray([0, 1, 0, 0, 1, 2, 3, 1], 4, 2)).ToArray());
        var count = new CategoryEncoding(3, outputMode: "count");
        Assert.Equal(F(2, 0, 1), count.Apply(Tensor.FromArray([0, 2, 0], 1, 3)).ToArray());
        var e = Assert.Throws<ArgumentException>(() => new CategoryEncoding(4, name: "ce").Apply(Tensor.FromArray([0, 4], 1, 2)));
        Assert.Contains("Layer 'ce' (CategoryEncoding)", e.Message);
        Assert.Contains("[0, 4)", e.Message);
        Assert.Throws<ShapeMismatchException>(() => new CategoryEncoding(4).Apply(Tensor.FromArray([0, 1], 2)));
    }

    [Fact]
    public void HashingIsSipHash24AndMatchesKerasSaltedBins()
    {
        // SipHash-2-4 reference vector: key 00 01 … 0f, empty message → 0x726fdb47dd0e0e31.
        Assert.Equal(0x726fdb47dd0e0e31UL, Hashing.SipHash24(0x0706050403020100UL, 0x0f0e0d0c0b0a0908UL, []));
        var msg = Enumerable.Range(0, 15).Select(b => (byte)b).ToArray();
        Assert.Equal(0xa129ca6149be45e5UL, Hashing.SipHash24(0x0706050403020100UL, 0x0f0e0d0c0b0a0908UL, msg));
        string[] inp = ["A", "B", "C", "D", "E"];
        // Keras' docstring: Hashing(num_bins=3, salt=133) on A…E gives [0, 0, 2, 1, 0] (TensorFlow's to_hash_bucket_strong).
        Assert.Equal(F(0, 0, 2, 1, 0), new Hashing(3, salt: [133]).Apply(inp).ToArray());
        Assert.NotEqual(new Hashing(3, salt: [133]).Apply(inp).ToArray(), new Hashing(3, salt: [133, 137]).Apply(inp).ToArray());
        var masked = new Hashing(3, maskValue: "").Apply(["A", ""]).ToArray();
        Assert.Equal(0f, masked[1]);
        Assert.InRange(masked[0], 1f, 2f);
        // Integers hash through their decimal text, inside a model too.
        var h = new Hashing(7, salt: [1, 2]);
        Assert.Equal(h.Apply(["42", "-3"]).ToArray(), h.Apply(Tensor.FromArray([42, -3], 2, 1)).ToArray());
    }

    [Fact]
    public void TextModelPredictsOnStringsAndSavesItsVocabulary()
    {
        Keras.ClearSession();
        Keras.SetRandomSeed(5);
        var tv = new TextVectorization(maxTokens: 20, outputSequenceLength: 6);
        string[] texts = ["free money now", "meeting at noon", "win free prizes now", "lunch at noon today"];
        tv.Adapt(texts);
        var i = Keras.Input([6]);
        var x = new Embedding(20, 4).Apply(i);
        x = new Conv1D(3, 2, activation: "relu").Apply(x);
        x = new GlobalMaxPooling1D().Apply(x);
        var model = new Model(i, new Dense(1, activation: "sigmoid").Apply(x));
        model.Compile("adam", "binary_crossentropy", ["accuracy"]);
        model.Fit(tv.Apply(texts), Tensor.FromArray([1, 0, 1, 0], 4, 1), epochs: 2, batchSize: 2, verbose: 0);
        var e = Assert.Throws<InvalidOperationException>(() => model.Predict((IReadOnlyList<string>)texts));
        Assert.Contains("StringInput", e.Message);
        model.StringInput = tv;
        var p = model.Predict((IReadOnlyList<string>)texts);
        Assert.Equal(new Shape(4, 1), p.Shape);
        Assert.Contains("accuracy", model.Evaluate((IReadOnlyList<string>)texts, Tensor.FromArray([1, 0, 1, 0], 4, 1)).Keys);
        using var dir = new TempDir();
        model.Save(dir.File("text.praxis"));
        var loaded = Model.Load(dir.File("text.praxis"));
        var ltv = Assert.IsType<TextVectorization>(loaded.StringInput);
        Assert.Equal(tv.GetVocabulary(), ltv.GetVocabulary());
        Assert.Equal(p.ToArray(), loaded.Predict((IReadOnlyList<string>)texts).ToArray());
    }
}
