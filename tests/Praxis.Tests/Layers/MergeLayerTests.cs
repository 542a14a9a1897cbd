using Praxis.Layers;
using Praxis.Models;
using Praxis.Tests.IO;
using static Praxis.Keras;

namespace Praxis.Tests.Layers;

/// <summary>Keras' merge layers (Multiply, Subtract, Average, Maximum, Minimum, Dot) and Lambda: values, broadcasting, errors, gradients, ONNX.</summary>
[Collection("Global state")]
public class MergeLayerTests
{
    private readonly Rng _rng = new(21);

    private Tensor R(params int[] shape) => GradCheck.Rand(_rng, shape);

    /// <summary>Element (b, i, j) of a (B, 1|I, J) or (B, J) tensor under Keras' merge broadcasting.</summary>
    private static float At(Tensor t, int b, int i, int j)
    {
        var s = t.Shape;
        if (t.Rank == 2) return t.Span[b * s[1] + j];
        int ii = s[1] == 1 ? 0 : i;
        return t.Span[(b * s[1] + ii) * s[2] + j];
    }

    [Fact]
    public void ElementwiseMergesMatchLoopsWithKerasBroadcasting()
    {
        // (2, 4, 3) with (2, 1, 3) broadcasts; (2, 3) gets an axis after the batch, as Keras' expand_dims(x, 1).
        Tensor a = R(2, 4, 3), b = R(2, 1, 3), c = R(2, 3);
        var cases = new (Layer Layer, Func<float, float, float, float> F)[]
        {
            (new Multiply(), (x, y, z) => x * y * z),
            (new Average(), (x, y, z) => (x + y + z) / 3f),
            (new Maximum(), (x, y, z) => MathF.Max(MathF.Max(x, y), z)),
            (new Minimum(), (x, y, z) => MathF.Min(MathF.Min(x, y), z)),
        };
        foreach (var (layer, f) in cases)
        {
            var y = layer.ApplyMany([a, b, c])[0];
            Assert.Equal(new Shape(2, 4, 3), y.Shape);
            for (int n = 0; n < 2; n++)
                for (int i = 0; i < 4; i++)
                    for (int j = 0; j < 3; j++)
                        Assert.Equal(f(At(a, n, i, j), At(b, n, i, j), At(c, n, i, j)), y.Span[(n * 4 + i) * 3 + j], 5);
        }
        var d = new Subtract().ApplyMany([a, c])[0];
        for (int n = 0; n < 2; n++)
            for (int i = 0; i < 4; i++)
                for (int j = 0; j < 3; j++)
                    Assert.Equal(At(a, n, i, j) - At(c, n, i, j), d.Span[(n * 4 + i) * 3 + j]);
    }

    [Fact]
    public void SymbolicShapesAndErrorsNameTheLayer()
    {
        ClearSession();
        var a = Input(shape: [4, 3]);
        var b = Input(shape: [1, 3]);
        var c = Input(shape: [3]);
        Assert.Equal(new Shape(-1, 4, 3), new Multiply().Apply(a, b, c).Shape);
        var bad = Assert.Throws<ShapeMismatchException>(() => new Maximum(name: "mx").Apply(a, Input(shape: [4, 2])));
        Assert.Contains("'mx' (Maximum)", bad.Message);
        Assert.Contains("incompatible shapes", bad.Message);
        var three = Assert.Throws<ArgumentException>(() => new Subtract(name: "sub").Apply(a, a, a));
        Assert.Contains("'sub' (Subtract) must be called on exactly 2 inputs", three.Message);
        var batches = Assert.Throws<ShapeMismatchException>(() => new Multiply(name: "m").ApplyMany([Tensor.Zeros(2, 3), Tensor.Zeros(3, 3)]));
        Assert.Contains("different batch sizes", batches.Message);
        var single = Assert.ThrowsAny<ArgumentException>(() => new Average(name: "avg").Apply(a));
        Assert.Contains("'avg' (Average)", single.Message);
        var dotAxes = Assert.Throws<ShapeMismatchException>(() => new Dot(axes: 2, name: "dot").Apply(a, Input(shape: [4, 5])));
        Assert.Contains("'dot' (Dot)", dotAxes.Message);
        var batchAxis = Assert.Throws<ArgumentException>(() => new Dot(axes: 0, name: "dot0").Apply(a, a));
        Assert.Contains("axes (0, 0)", batchAxis.Message);
    }

    [Fact]
    public void MergeGradientsMatchFiniteDifferences()
    {
        GradCheck.Check(t => new Multiply().ApplyMany([t[0], t[1], t[2]])[0], R(2, 4, 3), R(2, 1, 3), R(2, 3));
        GradCheck.Check(t => new Subtract().ApplyMany([t[0], t[1]])[0], R(2, 4, 3), R(2, 3));
        GradCheck.Check(t => new Average().ApplyMany([t[0], t[1]])[0], R(2, 4, 3), R(2, 1, 3));
        // Maximum/Minimum are not differentiable at ties; random inputs have none (and FD steps of 1e-3 never cross one here
        // with high probability, so keep values apart).
        GradCheck.Check(t => new Maximum().ApplyMany([t[0], t[1]])[0], Spread(2, 4, 3, 0), Spread(2, 1, 3, 1));
        GradCheck.Check(t => new Minimum().ApplyMany([t[0], t[1], t[2]])[0], Spread(2, 3, 2, 0), Spread(2, 3, 2, 1), Spread(2, 3, 2, 2));
        // Ties: the gradient goes to the first input only (TensorFlow's convention), never split or doubled.
        var x = Tensor.FromArray([1f, 2f], 1, 2);
        var z = Tensor.FromArray([1f, 3f], 1, 2);
        x.RequiresGrad = z.RequiresGrad = true;
        Tensor.Maximum(x, z).Sum().Backward();
        Assert.Equal([1f, 0f], x.Grad!.ToArray());
        Assert.Equal([0f, 1f], z.Grad!.ToArray());
    }

    // Distinct values at least 0.01 apart (interleaved between inputs by offset), so no finite-difference step crosses a tie.
    private Tensor Spread(int b, int i, int j, int offset)
    {
        int n = b * i * j;
        var perm = Enumerable.Range(0, n).OrderBy(_ => _rng.NextInt(1 << 20)).ToArray();
        var v = new float[n];
        for (int k = 0; k < n; k++) v[k] = (perm[k] * 3 + offset) * 0.01f - 0.5f;
        return Tensor.FromArray(v, b, i, j);
    }

    [Fact]
    public void DotIsBatchDotAndNormalizeGivesCosine()
    {
        Tensor a = R(3, 5), b = R(3, 5);
        var y = new Dot(axes: 1).ApplyMany([a, b])[0];
        Assert.Equal(new Shape(3, 1), y.Shape);
        var cos = new Dot(axes: -1, normalize: true).ApplyMany([a, b])[0];
        for (int n = 0; n < 3; n++)
        {
            double dot = 0, na = 0, nb = 0;
            for (int k = 0; k < 5; k++)
            {
                float p = a.Span[n * 5 + k], q = b.Span[n * 5 + k];
                dot += p * q; na += p * p; nb += q * q;
            }
            Assert.Equal(dot, y.Span[n], 5);
            Assert.Equal(dot / Math.Sqrt(na * nb), cos.Span[n], 5);
        }
        // (B, n, d) · (B, m, d) along d → (B, n, m); and (B, d, n) · (B, m, d) along (1, 2) → (B, n, m).
        Tensor u = R(2, 4, 3), v = R(2, 5, 3);
        var uv = new Dot(axes: 2).ApplyMany([u, v])[0];
        Assert.Equal(new Shape(2, 4, 5), uv.Shape);
        var ut = u.Permute(0, 2, 1);
        var uv2 = new Dot(axes: (1, 2)).ApplyMany([ut, v])[0];
        for (int n = 0; n < 2; n++)
            for (int i = 0; i < 4; i++)
                for (int j = 0; j < 5; j++)
                {
                    double s = 0;
                    for (int k = 0; k < 3; k++) s += u.Span[(n * 4 + i) * 3 + k] * v.Span[(n * 5 + j) * 3 + k];
                    Assert.Equal(s, uv.Span[(n * 4 + i) * 5 + j], 5);
                    Assert.Equal(s, uv2.Span[(n * 4 + i) * 5 + j], 5);
                }
        // Keras' output shape rule: x1 without its axis, then x2 without batch and axis.
        ClearSession();
        Assert.Equal(new Shape(-1, 4, 6), new Dot(axes: (1, 2)).Apply(Input(shape: [3, 4]), Input(shape: [6, 3])).Shape);
        GradCheck.Check(t => new Dot(axes: 2).ApplyMany([t[0], t[1]])[0], R(2, 4, 3), R(2, 5, 3));
        GradCheck.Check(t => new Dot(axes: (1, 2), normalize: true).ApplyMany([t[0], t[1]])[0], R(2, 3, 4), R(2, 2, 3));
    }

    [Theory]
    [InlineData(13)]
    [InlineData(17)]
    public void MergeLayersRunInOnnxRuntime(int opset)
    {
        SetRandomSeed(12);
        ClearSession();
        var a = Input(shape: [4, 3]);
        var b = Input(shape: [1, 3]);
        var c = Input(shape: [3]);
        var m = new Multiply().Apply(a, b, c);
        var s = new Subtract().Apply(m, c);
        var avg = new Average().Apply(s, a, b);
        var mx = new Maximum().Apply(avg, c, a);
        var mn = new Minimum().Apply(mx, b);
        var d = new Dot(axes: 2).Apply(mn, a);                       // (B, 4, 4)
        var cos = new Dot(axes: (1, 1), normalize: true).Apply(d, mn); // (B, 4, 3)
        var flat = new Dot(axes: 1).Apply(c, c);                        // (B, 1)
        var model = new Model([a, b, c], [cos, flat]);
        using var dir = new TempDir();
        OnnxExportTests.AssertMatches(model, dir.File("merge.onnx"), opset,
            Tensor.RandomNormal(new Shape(3, 4, 3), rng: new Rng(1)), Tensor.RandomNormal(new Shape(3, 1, 3), rng: new Rng(2)), Tensor.RandomNormal(new Shape(3, 3), rng: new Rng(3)));
    }

    [Fact]
    public void LambdaInfersOrTakesItsShapeAndSavesByKey()
    {
        ClearSession();
        Func<Tensor, Tensor> square = t => t.Square().Sum(-1, keepDims: true);
        Lambda.Register("test_square_sum", square);
        Lambda.Register("test_pair_product", (Func<Tensor[], Tensor>)(xs => xs[0] * xs[1]));
        try
        {
            var i = Input(shape: [4]);
            var j = Input(shape: [4]);
            var sq = new Lambda(square);                  // the registered delegate: saved under its key
            Assert.Equal(new Shape(-1, 1), sq.Apply(i).Shape);
            var prod = new Lambda("test_pair_product", outputShape: [4]).Apply(i, j);
            Assert.Equal(new Shape(-1, 4), prod.Shape);
            var model = new Model([i, j], [new Dense(2).Apply(new Concatenate().Apply(sq.Apply(prod), prod))]);
            var x = Tensor.RandomNormal(new Shape(3, 4), rng: new Rng(4));
            var z = Tensor.RandomNormal(new Shape(3, 4), rng: new Rng(5));
            using var dir = new TempDir();
            model.Save(dir.File("l.praxis"));
            Assert.Contains("\"function\":\"test_square_sum\"", model.ToJson());
            var loaded = Model.Load(dir.File("l.praxis"));
            SaveLoadTests.AssertBitIdentical(model.PredictMany([x, z])[0], loaded.PredictMany([x, z])[0]);

            // Loading without the function registered names the layer and the key.
            Lambda.Unregister("test_pair_product");
            var e = Assert.Throws<InvalidDataException>(() => Model.Load(dir.File("l.praxis")));
            Assert.Contains("(Lambda)", e.Message);
            Assert.Contains("'test_pair_product'", e.Message);
            Assert.Contains("Lambda.Register", e.Message);

            // A delegate without a key cannot be saved.
            var anon = new Model(i, new Lambda(t => t * 2f, name: "twice").Apply(i));
            var s = Assert.Throws<NotSupportedException>(() => anon.Save(dir.File("anon.praxis")));
            Assert.Contains("'twice' (Lambda)", s.Message);
        }
        finally
        {
            Lambda.Unregister("test_square_sum");
            Lambda.Unregister("test_pair_product");
        }
    }

    [Fact]
    public void LambdaRunsEagerlyUnlessDeclaredReplaySafe()
    {
        // A function with state (a call counter) is followed exactly in Fit unless the user promises the replay rule.
        foreach (bool safe in new[] { false, true })
        {
            ClearSession();
            int calls = 0;
            var i = Input(shape: [2]);
            var lambda = new Lambda(t => { calls++; return t * 1f; }, outputShape: [2], replaySafe: safe);
            var model = new Model(i, new Dense(1).Apply(lambda.Apply(i)));
            Assert.Equal(safe, model.ReplaySafe);
            model.Compile("sgd", "mse");
            var x = Tensor.RandomNormal(new Shape(8, 2), rng: new Rng(6));
            var y = Tensor.RandomNormal(new Shape(8, 1), rng: new Rng(7));
            calls = 0;
            model.Fit(x, y, batchSize: 2, epochs: 1, shuffle: false, verbose: 0);
            if (safe) Assert.Equal(1, calls);   // recorded once, replayed for the other three batches
            else Assert.Equal(4, calls);        // called for every batch
        }
    }
}
