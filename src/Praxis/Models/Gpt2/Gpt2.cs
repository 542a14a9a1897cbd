using System.Buffers.Binary;
using Praxis.Initializers;
using Praxis.IO;
using Praxis.Layers;

namespace Praxis.Models.Gpt2;

/// <summary>
/// GPT-2 (Radford et al. 2019) built from Praxis layers, loadable from Hugging Face checkpoints: token and position
/// embeddings, <see cref="Gpt2Config.NLayer"/> pre-LayerNorm blocks of causal self-attention and a GELU (tanh form)
/// MLP, a final LayerNorm and a head tied to the token embedding. <see cref="Model"/> is an ordinary functional
/// <see cref="Models.Model"/> (ids (batch, time) → logits (batch, time, vocab)) that compiles, fits, saves and loads
/// like any other; <see cref="Generate"/> runs the same weights through a key/value cache.
/// </summary>
/// <remarks>
/// Layer names follow Hugging Face's tensor names: <c>wte</c>, <c>wpe</c>, <c>h{l}_ln_1</c>, <c>h{l}_attn</c>,
/// <c>h{l}_ln_2</c>, <c>h{l}_mlp_c_fc</c>, <c>h{l}_mlp_c_proj</c>, <c>ln_f</c>. HF's <c>Conv1D</c> stores weights
/// (in, out), which is Keras' Dense layout, so <c>c_fc</c>, <c>c_proj</c> and <c>attn.c_proj</c> are copied as they
/// are; <c>attn.c_attn</c> (in, 3·n_embd) is split into the attention's query, key and value kernels (its columns are
/// [Q | K | V], head-major within each). Dropout is not modelled (fine-tuning runs without it).
/// </remarks>
public sealed class Gpt2
{
    private Gpt2Decoder? _decoder;

    private Gpt2(Gpt2Config config, Model model)
    {
        Config = config;
        Model = model;
        Wte = (ReversibleEmbedding)model.GetLayer("wte");
        Wpe = (PositionEmbedding)model.GetLayer("wpe");
        Blocks = new Block[config.NLayer];
        for (int l = 0; l < config.NLayer; l++)
            Blocks[l] = new Block((LayerNormalization)model.GetLayer($"h{l}_ln_1"), (MultiHeadAttention)model.GetLayer($"h{l}_attn"),
                (LayerNormalization)model.GetLayer($"h{l}_ln_2"), (Dense)model.GetLayer($"h{l}_mlp_c_fc"), (Dense)model.GetLayer($"h{l}_mlp_c_proj"));
        LnF = (LayerNormalization)model.GetLayer("ln_f");
    }

    /// <summary>The sizes.</summary>
    public Gpt2Config Config { get; }

    /// <summary>The functional model: ids (batch, time) as floats → logits (batch, time, vocab). Compile and fit it to fine-tune.</summary>
    public Model Model { get; }

    /// <summary>
    /// The dtype each Hugging Face tensor had when loaded (e.g. <c>wte.weight</c> → <c>F16</c>);
    /// <see cref="ExportHuggingFace"/> writes them back in it. Empty for a model not loaded from a checkpoint.
    /// </summary>
    public IReadOnlyDictionary<string, string> SourceDTypes { get; private set; } = new Dictionary<string, string>();

    internal ReversibleEmbedding Wte { get; }
    internal PositionEmbedding Wpe { get; }
    internal Block[] Blocks { get; }
    internal LayerNormalization LnF { get; }

    internal sealed record Block(LayerNormalization Ln1, MultiHeadAttention Attn, LayerNormalization Ln2, Dense Fc, Dense Proj);

    /// <summary>
    /// A randomly initialised GPT-2 (GPT-2's scheme: every weight N(0, 0.02), the residual projections
    /// N(0, 0.02/√(2·n_layer)), biases 0, LayerNorm γ 1 β 0), drawn from <see cref="Rng.Global"/>.
    /// </summary>
    public static Gpt2 Create(Gpt2Config config) => Build(config, null);

    /// <param name="config">The sizes.</param>
    /// <param name="load">null: random weights; otherwise the load whose file fills every weight (they start empty and
    /// are charged to its budget).</param>
    private static Gpt2 Build(Gpt2Config config, SerializationContext? load)
    {
        bool random = load is null;
        T L<T>(T layer) where T : Layer
        {
            if (load is not null) layer.AttachLoad(load);
            return layer;
        }
        config.Validate();
        int d = config.NEmbd;
        Initializer normal = random ? new RandomNormal(0f, 0.02f) : new Zeros();
        Initializer residual = random ? new RandomNormal(0f, 0.02f / MathF.Sqrt(2 * config.NLayer)) : new Zeros();
        float eps = config.LayerNormEpsilon;
        var ids = Keras.Input([-1], name: "ids");
        var wte = L(new ReversibleEmbedding(config.VocabSize, d, embeddingsInitializer: normal, name: "wte"));
        var tokens = wte.Apply(ids);
        var x = new Add(name: "embed").Apply(tokens, L(new PositionEmbedding(config.NPositions, normal, name: "wpe")).Apply(tokens));
        for (int l = 0; l < config.NLayer; l++)
        {
            var h = L(new LayerNormalization(epsilon: eps, name: $"h{l}_ln_1")).Apply(x);
            var attn = L(new MultiHeadAttention(config.NHead, config.HeadDim, kernelInitializer: normal, name: $"h{l}_attn"));
            x = new Add(name: $"h{l}_res_1").Apply(x, attn.Apply(h, h, useCausalMask: true));
            h = L(new LayerNormalization(epsilon: eps, name: $"h{l}_ln_2")).Apply(x);
            h = L(new Dense(4 * d, activation: "gelu_approximate", kernelInitializer: normal, name: $"h{l}_mlp_c_fc")).Apply(h);
            h = L(new Dense(d, kernelInitializer: residual, name: $"h{l}_mlp_c_proj")).Apply(h);
            x = new Add(name: $"h{l}_res_2").Apply(x, h);
        }
        x = L(new LayerNormalization(epsilon: eps, name: "ln_f")).Apply(x);
        var model = new Model(ids, wte.ApplyReverse(x), name: "gpt2");
        var g = new Gpt2(config, model);
        if (random)
            foreach (var b in g.Blocks) residual.Fill(b.Attn.OutputKernel, Rng.Global); // attn.c_proj is a residual projection too
        return g;
    }

    /// <summary>
    /// Wraps a model saved by <c>gpt2.Model.Save(path)</c> and loaded with <see cref="Models.Model.Load"/> (or
    /// <see cref="Load"/>): the sizes are read back from its layers.
    /// </summary>
    public static Gpt2 FromModel(Model model)
    {
        ArgumentNullException.ThrowIfNull(model);
        Layer Find(string name) => model.Layers.FirstOrDefault(l => l.Name == name)
            ?? throw new ArgumentException($"Model '{model.Name}' is not a Praxis GPT-2: it has no layer '{name}'.");
        var wte = Find("wte") as ReversibleEmbedding ?? throw new ArgumentException($"Model '{model.Name}': layer 'wte' is not a ReversibleEmbedding.");
        var wpe = Find("wpe") as PositionEmbedding ?? throw new ArgumentException($"Model '{model.Name}': layer 'wpe' is not a PositionEmbedding.");
        int layers = 0;
        while (model.Layers.Any(l => l.Name == $"h{layers}_attn")) layers++;
        var attn = Find("h0_attn") as MultiHeadAttention ?? throw new ArgumentException($"Model '{model.Name}': layer 'h0_attn' is not a MultiHeadAttention.");
        var ln = Find("ln_f") as LayerNormalization ?? throw new ArgumentException($"Model '{model.Name}': layer 'ln_f' is not a LayerNormalization.");
        var config = new Gpt2Config(wte.Embeddings.Shape[0], wpe.SequenceLength, wte.Embeddings.Shape[1], layers, attn.NumHeads, ln.Epsilon);
        return new Gpt2(config, model);
    }

    /// <summary>Saves the model as a <c>.praxis</c> file (architecture, weights and any optimizer state; atomic).</summary>
    public void Save(string path, bool includeOptimizer = true) => Model.Save(path, includeOptimizer);

    /// <summary>Loads a GPT-2 saved with <see cref="Save"/>.</summary>
    public static Gpt2 Load(string path, bool compile = true) => FromModel(Models.Model.Load(path, compile));

    // ------------------------------------------------------------------ Hugging Face layout

    private static readonly string[] IgnoredSuffixes = [".attn.bias", ".attn.masked_bias"]; // HF's causal-mask buffers, not weights

    /// <summary>
    /// Loads a Hugging Face GPT-2 directory: <c>config.json</c> and <c>model.safetensors</c> (GPT2Model or
    /// GPT2LMHeadModel names, with or without the <c>transformer.</c> prefix; F32, F16, BF16 or F64). The file is
    /// memory-mapped and each tensor converted straight into its weight, so there is no second copy of the file in
    /// memory. A missing, unexpected or mis-shaped tensor raises <see cref="InvalidDataException"/> naming the file,
    /// the tensor, and the expected and actual shapes.
    /// </summary>
    public static Gpt2 FromHuggingFace(string directory)
    {
        var config = Gpt2Config.FromJsonFile(Path.Combine(directory, "config.json"));
        string file = Path.Combine(directory, "model.safetensors");
        if (!File.Exists(file))
            throw new FileNotFoundException($"{file}: no such file. Praxis reads Hugging Face checkpoints in safetensors form (model.safetensors); a pytorch_model.bin must be converted first.", file);
        using var st = MappedSafeTensors.Open(file);
        string prefix = st.Contains("transformer.wte.weight") ? "transformer." : "";
        int d = config.NEmbd;
        // Every tensor is checked against config.json before any weight is allocated.
        foreach (var (name, shape) in ExpectedTensors(config))
        {
            string key = prefix + name;
            if (!st.Contains(key))
                throw new InvalidDataException($"{file}: tensor '{key}' is missing (expected shape [{string.Join(", ", shape)}] for n_embd {d}, n_layer {config.NLayer}, vocab_size {config.VocabSize}, n_positions {config.NPositions}).");
            var actual = st.Shape(key);
            if (!actual.AsSpan().SequenceEqual(shape))
                throw new InvalidDataException($"{file}: tensor '{key}' has shape [{string.Join(", ", actual)}]; config.json implies [{string.Join(", ", shape)}].");
        }
        long held = 0;
        foreach (var n in st.Names)
        {
            long c = 1;
            foreach (int dim in st.Shape(n)) c *= dim;
            held += c;
        }
        // As Model.Load: weights start empty rather than initialised (the file overwrites them all), and the build may
        // create no more weight elements than the file holds.
        Gpt2 g;
        g = Build(config, new SerializationContext(file, held) { WeightsFollow = true });
        var used = new HashSet<string>(StringComparer.Ordinal);
        var dtypes = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, shape, targets) in g.HfTensors())
        {
            string key = prefix + name;
            used.Add(key);
            dtypes[name] = st.DType(key);
            if (targets.Length == 1) st.CopyTo(key, targets[0].Span);
            else
            {
                // c_attn: (in, 3·d) → Q, K, V kernels (in, d) each, or a (3·d) bias → three (d).
                int rows = shape.Length == 2 ? shape[0] : 1;
                var tmp = new float[rows * 3 * d];
                st.CopyTo(key, tmp);
                for (int part = 0; part < 3; part++)
                {
                    var dst = targets[part].Span;
                    for (int r = 0; r < rows; r++) tmp.AsSpan(r * 3 * d + part * d, d).CopyTo(dst.Slice(r * d, d));
                }
            }
        }
        foreach (var key in st.Names)
        {
            if (used.Contains(key) || IgnoredSuffixes.Any(s => key.EndsWith(s, StringComparison.Ordinal))) continue;
            if (key == "lm_head.weight")
            {
                // GPT-2's head is tied to wte; a checkpoint that stores it must store the same values.
                if (!st.Bytes(key).SequenceEqual(st.Bytes(prefix + "wte.weight")) || st.DType(key) != st.DType(prefix + "wte.weight"))
                    throw new InvalidDataException($"{file}: 'lm_head.weight' differs from '{prefix}wte.weight'; an untied LM head is not supported (GPT-2 ties them).");
                continue;
            }
            throw new InvalidDataException($"{file}: unexpected tensor '{key}' (shape [{string.Join(", ", st.Shape(key))}]) for a GPT-2 of {config.NLayer} layers; is this a GPT-2 checkpoint?");
        }
        g.SourceDTypes = dtypes;
        return g;
    }

    /// <summary>
    /// Downloads (once; see <see cref="Gpt2Hub"/>) and loads a GPT-2 from the Hugging Face hub, e.g. <c>"gpt2"</c>
    /// (124M) or <c>"gpt2-medium"</c>: config, weights and tokenizer files go to the dataset cache with SHA-256 checks;
    /// offline, the error says where to put the files by hand.
    /// </summary>
    public static Gpt2 FromPretrained(string repo = "gpt2", string revision = "main", Uri? endpoint = null, HttpClient? client = null,
        string? cacheRoot = null) =>
        FromHuggingFace(Gpt2Hub.Fetch(repo, revision, null, endpoint, client, cacheRoot));

    /// <summary>
    /// Writes <c>config.json</c> and <c>model.safetensors</c> in Hugging Face's GPT2Model layout (both atomic), each
    /// tensor in the dtype it was loaded in (<see cref="SourceDTypes"/>; F32 otherwise, or everywhere when
    /// <paramref name="dtype"/> is "F32"), with <c>__metadata__</c> <c>{"format": "pt"}</c> and tensors in the
    /// order the safetensors library writes them. A checkpoint loaded and exported unchanged has byte-identical tensors.
    /// </summary>
    public void ExportHuggingFace(string directory, string? dtype = null)
    {
        if (dtype is not (null or "F32" or "F16" or "BF16"))
            throw new ArgumentException($"ExportHuggingFace: dtype must be F32, F16 or BF16 (or null for the loaded dtypes); got '{dtype}'.");
        Directory.CreateDirectory(directory);
        var tensors = new List<(string Name, string DType, int[] Shape, byte[] Bytes)>();
        int d = Config.NEmbd;
        foreach (var (name, shape, targets) in HfTensors())
        {
            string dt = dtype ?? SourceDTypes.GetValueOrDefault(name, "F32");
            float[] values;
            if (targets.Length == 1) values = targets[0].ToArray();
            else
            {
                int rows = shape.Length == 2 ? shape[0] : 1;
                values = new float[rows * 3 * d];
                for (int part = 0; part < 3; part++)
                {
                    var src = targets[part].Span;
                    for (int r = 0; r < rows; r++) src.Slice(r * d, d).CopyTo(values.AsSpan(r * 3 * d + part * d, d));
                }
            }
            tensors.Add((name, dt, shape, Encode(values, dt)));
        }
        // The safetensors library's order: larger dtypes first, then by name.
        tensors.Sort((a, b) =>
        {
            int c = SafeTensorsFile.DTypeSize(b.DType).CompareTo(SafeTensorsFile.DTypeSize(a.DType));
            return c != 0 ? c : string.CompareOrdinal(a.Name, b.Name);
        });
        var w = new SafeTensorsWriter { IncludeChecksum = false };
        w.Metadata["format"] = "pt";
        foreach (var t in tensors) w.AddRaw(t.Name, t.DType, t.Shape, t.Bytes);
        w.Save(Path.Combine(directory, "model.safetensors"));
        AtomicFile.Write(Path.Combine(directory, "config.json"), s => s.Write(System.Text.Encoding.UTF8.GetBytes(Config.ToJson())));
    }

    private static byte[] Encode(float[] values, string dtype)
    {
        switch (dtype)
        {
            case "F32":
            {
                var b = new byte[values.Length * 4];
                for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(b.AsSpan(4 * i), values[i]);
                return b;
            }
            case "F16":
            {
                var b = new byte[values.Length * 2];
                for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteHalfLittleEndian(b.AsSpan(2 * i), (Half)values[i]);
                return b;
            }
            case "BF16":
            {
                // Round to nearest even, as torch's bfloat16 conversion (exact for values that came from BF16).
                var b = new byte[values.Length * 2];
                for (int i = 0; i < values.Length; i++)
                {
                    uint bits = BitConverter.SingleToUInt32Bits(values[i]);
                    uint r = float.IsNaN(values[i]) ? 0x7FC0u : (bits + 0x7FFFu + ((bits >> 16) & 1u)) >> 16;
                    BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(2 * i), (ushort)r);
                }
                return b;
            }
            default: throw new ArgumentException($"Unsupported export dtype {dtype}.");
        }
    }

    /// <summary>Every HF tensor name with the shape <paramref name="c"/> implies, in GPT2Model's order.</summary>
    private static IEnumerable<(string Name, int[] Shape)> ExpectedTensors(Gpt2Config c)
    {
        int d = c.NEmbd;
        yield return ("wte.weight", [c.VocabSize, d]);
        yield return ("wpe.weight", [c.NPositions, d]);
        for (int l = 0; l < c.NLayer; l++)
        {
            string p = $"h.{l}.";
            yield return (p + "ln_1.weight", [d]);
            yield return (p + "ln_1.bias", [d]);
            yield return (p + "attn.c_attn.weight", [d, 3 * d]);
            yield return (p + "attn.c_attn.bias", [3 * d]);
            yield return (p + "attn.c_proj.weight", [d, d]);
            yield return (p + "attn.c_proj.bias", [d]);
            yield return (p + "ln_2.weight", [d]);
            yield return (p + "ln_2.bias", [d]);
            yield return (p + "mlp.c_fc.weight", [d, 4 * d]);
            yield return (p + "mlp.c_fc.bias", [4 * d]);
            yield return (p + "mlp.c_proj.weight", [4 * d, d]);
            yield return (p + "mlp.c_proj.bias", [d]);
        }
        yield return ("ln_f.weight", [d]);
        yield return ("ln_f.bias", [d]);
    }

    /// <summary>Every HF tensor with its shape and the Praxis weight(s) holding it (three for c_attn).</summary>
    private IEnumerable<(string Name, int[] Shape, Tensor[] Targets)> HfTensors()
    {
        using var shapes = ExpectedTensors(Config).GetEnumerator();
        (string, int[], Tensor[]) Next(params Tensor[] targets)
        {
            shapes.MoveNext();
            return (shapes.Current.Name, shapes.Current.Shape, targets);
        }
        yield return Next(Wte.Embeddings);
        yield return Next(Wpe.Embeddings);
        foreach (var b in Blocks)
        {
            yield return Next(b.Ln1.Gamma!);
            yield return Next(b.Ln1.Beta!);
            yield return Next(b.Attn.QueryKernel, b.Attn.KeyKernel, b.Attn.ValueKernel);
            yield return Next(b.Attn.QueryBias!, b.Attn.KeyBias!, b.Attn.ValueBias!);
            yield return Next(b.Attn.OutputKernel);
            yield return Next(b.Attn.OutputBias!);
            yield return Next(b.Ln2.Gamma!);
            yield return Next(b.Ln2.Beta!);
            yield return Next(b.Fc.Kernel);
            yield return Next(b.Fc.Bias!);
            yield return Next(b.Proj.Kernel);
            yield return Next(b.Proj.Bias!);
        }
        yield return Next(LnF.Gamma!);
        yield return Next(LnF.Beta!);
    }

    // ------------------------------------------------------------------ inference

    /// <summary>
    /// Logits (time, vocab) of one sequence, computed by the key/value-cache path (the same numbers as
    /// <c>Model.Predict</c>, without building a graph).
    /// </summary>
    public float[] Logits(ReadOnlySpan<int> ids)
    {
        var dec = Decoder();
        lock (dec) return dec.Logits(ids);
    }

    /// <summary>
    /// Continues <paramref name="prompt"/> by up to <see cref="GenerationOptions.MaxNewTokens"/> tokens with a
    /// key/value cache: the prompt is run once, then each new token costs one position (past keys and values are
    /// kept, never recomputed). Sampling follows <paramref name="options"/> (temperature 0 is greedy).
    /// </summary>
    public GenerationResult Generate(ReadOnlySpan<int> prompt, GenerationOptions? options = null)
    {
        var dec = Decoder();
        lock (dec) return dec.Generate(prompt, options ?? new GenerationOptions());
    }

    private Gpt2Decoder Decoder() => _decoder ??= new Gpt2Decoder(this);
}

/// <summary>How <see cref="Gpt2.Generate"/> picks tokens.</summary>
public sealed record GenerationOptions
{
    /// <summary>How many tokens to add (default 50).</summary>
    public int MaxNewTokens { get; init; } = 50;

    /// <summary>Softmax temperature; 0 is greedy (default 1).</summary>
    public float Temperature { get; init; } = 1f;

    /// <summary>Keep only the k most likely tokens (null: all).</summary>
    public int? TopK { get; init; }

    /// <summary>Nucleus sampling: keep the most likely tokens whose probabilities sum to at least p (null: all).</summary>
    public float? TopP { get; init; }

    /// <summary>Seed of the sampling generator (null: draw from <see cref="Rng.Global"/>).</summary>
    public int? Seed { get; init; }

    /// <summary>Stop after producing this token (e.g. 50256, &lt;|endoftext|&gt;); null never stops early.</summary>
    public int? StopToken { get; init; }
}

/// <summary>What <see cref="Gpt2.Generate"/> produced, and how fast.</summary>
/// <param name="Tokens">The new tokens (the prompt not included).</param>
/// <param name="PromptSeconds">Time to run the prompt through the model (filling the cache).</param>
/// <param name="GenerateSeconds">Time for the new tokens after the prompt.</param>
public sealed record GenerationResult(int[] Tokens, double PromptSeconds, double GenerateSeconds)
{
    /// <summary>New tokens per second after the prompt (the first token's position included).</summary>
    public double TokensPerSecond => GenerateSeconds > 0 ? Tokens.Length / GenerateSeconds : double.PositiveInfinity;
}
