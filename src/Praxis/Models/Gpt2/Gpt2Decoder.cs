using System.Diagnostics;
using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using Praxis.Kernels;

namespace Praxis.Models.Gpt2;

/// <summary>
/// GPT-2 inference with a key/value cache, for one sequence: the weights are read in place from the model's layers
/// (so a fine-tuned model generates with its new weights), keys and values of past positions are kept per layer,
/// and a step computes only the new positions. Several positions at once (the prompt) go through <see cref="Gemm"/>;
/// one position is a matrix-vector product per weight, streamed once and split over <see cref="KernelPool"/> by
/// columns, since that is what bounds generation speed (every weight is read once per token).
/// </summary>
internal sealed class Gpt2Decoder
{
    private readonly Gpt2 _g;
    private readonly int _d, _v, _p, _h, _hd;
    private readonly float[][] _k, _v2;             // per layer (n_positions, d): the cache
    private float[] _x = [], _h1 = [], _q = [], _att = [], _tmp = [], _f = [];
    private readonly float[] _scores;
    private int _length;                            // positions in the cache

    public Gpt2Decoder(Gpt2 g)
    {
        _g = g;
        var c = g.Config;
        (_d, _v, _p, _h, _hd) = (c.NEmbd, c.VocabSize, c.NPositions, c.NHead, c.HeadDim);
        _k = new float[c.NLayer][];
        _v2 = new float[c.NLayer][];
        for (int l = 0; l < c.NLayer; l++) { _k[l] = new float[_p * _d]; _v2[l] = new float[_p * _d]; }
        _scores = new float[_h * _p];
    }

    public float[] Logits(ReadOnlySpan<int> ids)
    {
        _length = 0;
        var logits = new float[ids.Length * _v];
        Step(ids, logits, allRows: true);
        return logits;
    }

    public GenerationResult Generate(ReadOnlySpan<int> prompt, GenerationOptions o)
    {
        if (prompt.IsEmpty) throw new ArgumentException("Generate: the prompt is empty; GPT-2 needs at least one token (e.g. 50256, <|endoftext|>).");
        if (o.MaxNewTokens < 0) throw new ArgumentOutOfRangeException(nameof(o), $"Generate: max_new_tokens must be >= 0; got {o.MaxNewTokens}.");
        if (o.TopP is float tp && !(tp > 0f && tp <= 1f)) throw new ArgumentOutOfRangeException(nameof(o), $"Generate: top_p must be in (0, 1]; got {tp}.");
        if (prompt.Length + o.MaxNewTokens - 1 > _p)
            throw new ArgumentException($"Generate: prompt ({prompt.Length} tokens) + max_new_tokens ({o.MaxNewTokens}) needs {prompt.Length + o.MaxNewTokens - 1} positions; the model has n_positions = {_p}.");
        var rng = o.Seed is int s ? new Rng(s) : Rng.Global;
        var logits = new float[_v];
        var tokens = new List<int>(o.MaxNewTokens);
        var clock = Stopwatch.StartNew();
        _length = 0;
        Step(prompt, logits, allRows: false);
        double promptSeconds = clock.Elapsed.TotalSeconds;
        clock.Restart();
        Span<int> one = stackalloc int[1];
        for (int i = 0; i < o.MaxNewTokens; i++)
        {
            int next = Sampling.Sample(logits, o.Temperature, o.TopK, rng, o.TopP);
            tokens.Add(next);
            if (next == o.StopToken || i == o.MaxNewTokens - 1) break;
            one[0] = next;
            Step(one, logits, allRows: false);
        }
        return new GenerationResult(tokens.ToArray(), promptSeconds, clock.Elapsed.TotalSeconds);
    }

    /// <summary>Runs <paramref name="ids"/> at positions [_length, _length + n) and writes the logits of every row or of the last.</summary>
    private void Step(ReadOnlySpan<int> ids, Span<float> logits, bool allRows)
    {
        int n = ids.Length, pos = _length, d = _d;
        if (pos + n > _p) throw new ArgumentException($"GPT-2: {pos + n} positions exceed n_positions = {_p}.");
        for (int i = 0; i < n; i++)
            if ((uint)ids[i] >= (uint)_v) throw new ArgumentOutOfRangeException(nameof(ids), $"GPT-2: token id {ids[i]} at position {i} is outside the vocabulary [0, {_v}).");
        Ensure(n);
        var x = _x.AsSpan(0, n * d);
        ReadOnlySpan<float> wte = _g.Wte.Embeddings.Span, wpe = _g.Wpe.Embeddings.Span;
        for (int i = 0; i < n; i++)
            TensorPrimitives.Add(wte.Slice(ids[i] * d, d), wpe.Slice((pos + i) * d, d), x.Slice(i * d, d));
        float eps = _g.Config.LayerNormEpsilon;
        var h = _h1.AsSpan(0, n * d);
        for (int l = 0; l < _g.Blocks.Length; l++)
        {
            var b = _g.Blocks[l];
            LayerNorm(x, h, b.Ln1.Gamma!.Span, b.Ln1.Beta!.Span, n, eps);
            var kc = _k[l].AsSpan(pos * d, n * d);
            var vc = _v2[l].AsSpan(pos * d, n * d);
            Project(h, b.Attn.QueryKernel.Span, b.Attn.QueryBias!.Span, _q.AsSpan(0, n * d), n, d, d);
            Project(h, b.Attn.KeyKernel.Span, b.Attn.KeyBias!.Span, kc, n, d, d);
            Project(h, b.Attn.ValueKernel.Span, b.Attn.ValueBias!.Span, vc, n, d, d);
            Attend(l, n, pos);
            var tmp = _tmp.AsSpan(0, n * d);
            Project(_att.AsSpan(0, n * d), b.Attn.OutputKernel.Span, b.Attn.OutputBias!.Span, tmp, n, d, d);
            TensorPrimitives.Add(x, tmp, x);
            LayerNorm(x, h, b.Ln2.Gamma!.Span, b.Ln2.Beta!.Span, n, eps);
            var f = _f.AsSpan(0, n * 4 * d);
            Project(h, b.Fc.Kernel.Span, b.Fc.Bias!.Span, f, n, d, 4 * d);
            GeluTanh(f);
            Project(f, b.Proj.Kernel.Span, b.Proj.Bias!.Span, tmp, n, 4 * d, d);
            TensorPrimitives.Add(x, tmp, x);
        }
        _length = pos + n;
        int first = allRows ? 0 : n - 1, rows = n - first;
        var hf = h.Slice(first * d, rows * d);
        LayerNorm(x.Slice(first * d, rows * d), hf, _g.LnF.Gamma!.Span, _g.LnF.Beta!.Span, rows, eps);
        unsafe
        {
            fixed (float* px = hf, pw = wte, po = logits)
            {
                var head = new HeadBody { X = px, W = pw, Out = po, D = d, V = _v, Rows = rows };
                int chunks = (_v + HeadChunk - 1) / HeadChunk;
                if (KernelPool.MaxParallelism > 1 && (long)rows * _v * d >= Gemm.ParallelThreshold) KernelPool.For(chunks, ref head);
                else for (int c = 0; c < chunks; c++) head.Invoke(c);
            }
        }
    }

    private void Ensure(int n)
    {
        if (_x.Length >= n * _d) return;
        int rows = Math.Max(n, Math.Min(_p, 64));
        _x = new float[rows * _d]; _h1 = new float[rows * _d]; _q = new float[rows * _d];
        _att = new float[rows * _d]; _tmp = new float[rows * _d]; _f = new float[rows * 4 * _d];
    }

    private static void LayerNorm(ReadOnlySpan<float> x, Span<float> y, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, int n, float eps)
    {
        int d = gamma.Length;
        for (int i = 0; i < n; i++)
        {
            var xi = x.Slice(i * d, d);
            var yi = y.Slice(i * d, d);
            float mean = TensorPrimitives.Sum(xi) / d;
            TensorPrimitives.Subtract(xi, mean, yi);
            float var = TensorPrimitives.Dot(yi, yi) / d;
            TensorPrimitives.Multiply(yi, 1f / MathF.Sqrt(var + eps), yi);
            TensorPrimitives.MultiplyAdd(yi, gamma, beta, yi);
        }
    }

    // GPT-2's tanh GELU (the op's own function struct: ½v(1 + tanh u) on the width-generic driver).
    private static void GeluTanh(Span<float> x) => Elementwise.Unary(default(GeluTanhFunction), x, x);

    /// <summary>y (n×outDim) = x (n×inDim) · W (inDim×outDim) + b.</summary>
    private static void Project(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, Span<float> y, int n, int inDim, int outDim)
    {
        if (n > 1)
        {
            Gemm.Sgemm(false, false, n, outDim, inDim, 1f, x, inDim, w, outDim, 0f, y, outDim);
            for (int i = 0; i < n; i++) TensorPrimitives.Add(y.Slice(i * outDim, outDim), bias, y.Slice(i * outDim, outDim));
            return;
        }
        unsafe
        {
            fixed (float* px = x, pw = w, pb = bias, py = y)
            {
                var body = new GemvBody { X = px, W = pw, B = pb, Y = py, K = inDim, N = outDim };
                int chunks = (outDim + GemvColumns - 1) / GemvColumns;
                if (KernelPool.MaxParallelism > 1 && (long)inDim * outDim >= 1 << 16) KernelPool.For(chunks, ref body);
                else for (int c = 0; c < chunks; c++) body.Invoke(c);
            }
        }
    }

    // One column block of y stays in registers over all of K: four accumulators of 512 bits, or the same 64 columns as
    // two or four strips of four 256- or 128-bit accumulators (each strip re-reads x, which is in L1).
    private const int GemvColumns = 64;
    private const int HeadChunk = 512;

    private unsafe struct GemvBody : IParallelBody
    {
        public float* X, W, B, Y;
        public int K, N;

        public readonly void Invoke(int chunk)
        {
            int c0 = chunk * GemvColumns, width = Math.Min(GemvColumns, N - c0);
            int done = Simd.For(width) switch
            {
                SimdPath.Vector512 => Columns<Width512, Vector512<float>>(c0, width),
                SimdPath.Vector256 => Columns<Width256, Vector256<float>>(c0, width),
                SimdPath.Vector128 => Columns<Width128, Vector128<float>>(c0, width),
                _ => 0,
            };
            for (int j = c0 + done; j < c0 + width; j++)
            {
                float s = B[j];
                for (int k = 0; k < K; k++) s += X[k] * W[(long)k * N + j];
                Y[j] = s;
            }
        }

        // Strips of four vectors, then single vectors; returns how many of the block's columns are done.
        private readonly int Columns<TW, TV>(int c0, int width) where TW : IVectorWidth<TV> where TV : struct
        {
            int w = TW.Count, j = 0;
            var x = new ReadOnlySpan<float>(X, K);
            var bias = new ReadOnlySpan<float>(B + c0, width);
            var y = new Span<float>(Y + c0, width);
            for (; j <= width - 4 * w; j += 4 * w)
            {
                TV a0 = TW.Load(bias, j), a1 = TW.Load(bias, j + w), a2 = TW.Load(bias, j + 2 * w), a3 = TW.Load(bias, j + 3 * w);
                for (int k = 0; k < K; k++)
                {
                    var row = new ReadOnlySpan<float>(W + (long)k * N + c0 + j, 4 * w);
                    var xk = TW.Splat(x[k]);
                    a0 = TW.MultiplyAddEstimate(xk, TW.Load(row, 0), a0);
                    a1 = TW.MultiplyAddEstimate(xk, TW.Load(row, w), a1);
                    a2 = TW.MultiplyAddEstimate(xk, TW.Load(row, 2 * w), a2);
                    a3 = TW.MultiplyAddEstimate(xk, TW.Load(row, 3 * w), a3);
                }
                TW.Store(a0, y, j); TW.Store(a1, y, j + w); TW.Store(a2, y, j + 2 * w); TW.Store(a3, y, j + 3 * w);
            }
            for (; j <= width - w; j += w)
            {
                var a = TW.Load(bias, j);
                for (int k = 0; k < K; k++)
                    a = TW.MultiplyAddEstimate(TW.Splat(x[k]), TW.Load(new ReadOnlySpan<float>(W + (long)k * N + c0 + j, w), 0), a);
                TW.Store(a, y, j);
            }
            return j;
        }
    }

    /// <summary>Logits of a block of the vocabulary: one dot product per (row, token) over the tied embedding.</summary>
    private unsafe struct HeadBody : IParallelBody
    {
        public float* X, W, Out;
        public int D, V, Rows;

        public readonly void Invoke(int chunk)
        {
            int v0 = chunk * HeadChunk, v1 = Math.Min(V, v0 + HeadChunk);
            for (int r = 0; r < Rows; r++)
            {
                var x = new ReadOnlySpan<float>(X + (long)r * D, D);
                float* o = Out + (long)r * V;
                for (int v = v0; v < v1; v++) o[v] = TensorPrimitives.Dot(new ReadOnlySpan<float>(W + (long)v * D, D), x);
            }
        }
    }

    /// <summary>Causal attention of the n new positions over the cache, head by head.</summary>
    private void Attend(int layer, int n, int pos)
    {
        var body = new AttendBody { Dec = this, Layer = layer, N = n, Pos = pos };
        if (KernelPool.MaxParallelism > 1 && (long)n * (pos + n) * _d >= 1 << 16) KernelPool.For(_h, ref body);
        else for (int hh = 0; hh < _h; hh++) body.Invoke(hh);
    }

    private struct AttendBody : IParallelBody
    {
        public Gpt2Decoder Dec;
        public int Layer, N, Pos;

        public readonly void Invoke(int head) => Dec.AttendHead(Layer, head, N, Pos);
    }

    private void AttendHead(int layer, int head, int n, int pos)
    {
        int d = _d, hd = _hd, off = head * hd;
        float scale = 1f / MathF.Sqrt(hd);
        ReadOnlySpan<float> k = _k[layer], v = _v2[layer];
        var scores = _scores.AsSpan(head * _p, _p);
        for (int i = 0; i < n; i++)
        {
            int keys = pos + i + 1;
            var q = _q.AsSpan(i * d + off, hd);
            var s = scores[..keys];
            for (int j = 0; j < keys; j++) s[j] = TensorPrimitives.Dot(q, k.Slice(j * d + off, hd)) * scale;
            float max = TensorPrimitives.Max(s);
            TensorPrimitives.Subtract(s, max, s);
            Elementwise.Exp(s, s);
            TensorPrimitives.Multiply(s, 1f / TensorPrimitives.Sum(s), s);
            var o = _att.AsSpan(i * d + off, hd);
            o.Clear();
            for (int j = 0; j < keys; j++) TensorPrimitives.MultiplyAdd(v.Slice(j * d + off, hd), s[j], o, o);
        }
    }
}
