using System.Text;

namespace Praxis.Layers;

/// <summary>
/// A preprocessing layer whose input is text (<see cref="TextVectorization"/>, <see cref="StringLookup"/>,
/// <see cref="Hashing"/>). Praxis tensors hold numbers, so strings never flow through a model's graph: such a layer
/// turns a batch of strings into a tensor with <see cref="Apply(IReadOnlyList{string})"/>, which is how a training set
/// is vectorized before <c>Fit</c> (keras.io's advice for speed), and a model carries one as its
/// <see cref="Models.Model.StringInput"/> so that <c>model.Predict(string[])</c> takes raw text end to end and
/// <c>model.Save</c> keeps the vocabulary with the weights.
/// </summary>
public abstract class StringLayer : Layer
{
    /// <summary>Stores the name.</summary>
    protected StringLayer(string? name) : base(name) { }

    /// <summary>Turns a batch of strings (one per sample) into this layer's tensor output.</summary>
    public abstract Tensor Apply(IReadOnlyList<string> inputs);

    /// <summary>
    /// Refuses numeric input: a text layer is applied to strings (<see cref="Apply(IReadOnlyList{string})"/>) or set as a
    /// model's <see cref="Models.Model.StringInput"/>.
    /// </summary>
    public override Tensor Call(Tensor input, bool training) =>
        throw new NotSupportedException($"Layer '{Name}' ({GetType().Name}) takes strings, not tensors: call layer.Apply(string[]) to get its tensor, " +
            "or set model.StringInput = layer so that model.Predict(string[]) runs it before the model.");

    /// <summary>The per-sample output shape for <see cref="Models.Model"/> inputs fed by this layer (−1 where it varies).</summary>
    public abstract int[] OutputSampleShape { get; }

    private protected static void CheckBatch(IReadOnlyList<string> inputs, string who)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        for (int i = 0; i < inputs.Count; i++)
            if (inputs[i] is null) throw new ArgumentException($"{who}: input {i} is null; pass empty strings for empty samples.");
    }
}

/// <summary>
/// A vocabulary in Keras' index layout: the mask token (when any) at 0, then the OOV token(s), then the learned or
/// given tokens; optional IDF weights per index. Shared by <see cref="TextVectorization"/> and <see cref="StringLookup"/>.
/// </summary>
internal sealed class TokenIndex
{
    private readonly Dictionary<string, int> _ids = new(StringComparer.Ordinal);
    private readonly List<string> _vocab = [];

    public TokenIndex(string? mask, int numOov, string oov)
    {
        (Mask, NumOov, Oov) = (mask, numOov, oov);
        Reset();
    }

    public string? Mask { get; }
    public int NumOov { get; }
    public string Oov { get; }

    /// <summary>Indices before the first learned token (mask and OOV).</summary>
    public int TokenStart => (Mask is null ? 0 : 1) + NumOov;

    public int Count => _vocab.Count;
    public bool HasTokens => _vocab.Count > TokenStart;
    public float[]? Idf { get; private set; }
    public IReadOnlyList<string> Vocabulary => _vocab;

    private void Reset()
    {
        _ids.Clear();
        _vocab.Clear();
        if (Mask is not null) { _vocab.Add(Mask); _ids[Mask] = 0; }
        for (int i = 0; i < NumOov; i++) _vocab.Add(Oov);
        Idf = null;
    }

    /// <summary>Replaces the learned part: <paramref name="tokens"/> without mask/OOV; <paramref name="idf"/> for those tokens, or null.</summary>
    public void Set(IReadOnlyList<string> tokens, float[]? idf, string who)
    {
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < tokens.Count; i++)
        {
            string t = tokens[i] ?? throw new ArgumentException($"{who}: vocabulary entry {i} is null.");
            if (t == Mask || (NumOov > 0 && t == Oov)) throw new ArgumentException($"{who}: the vocabulary must not contain the reserved token '{t}' (entry {i}); it is added by the layer.");
            if (!ids.TryAdd(t, TokenStart + i)) throw new ArgumentException($"{who}: the vocabulary repeats '{t}' (entry {i}).");
        }
        if (idf is not null && idf.Length != tokens.Count)
            throw new ArgumentException($"{who}: {idf.Length} idf_weights for {tokens.Count} vocabulary tokens.");
        Reset();
        foreach (var t in tokens) _vocab.Add(t);
        foreach (var (t, i) in ids) _ids[t] = i;
        if (idf is not null)
        {
            // Keras gives the mask 0 and each OOV index the mean IDF of the learned tokens.
            double mean = 0;
            foreach (float w in idf) mean += w;
            mean = idf.Length > 0 ? mean / idf.Length : 0;
            var full = new float[_vocab.Count];
            for (int i = Mask is null ? 0 : 1; i < TokenStart; i++) full[i] = (float)mean;
            idf.CopyTo(full, TokenStart);
            Idf = full;
        }
    }

    /// <summary>The index of a token: 0 for the mask, the OOV index (−1 when there is none) for an unknown token.</summary>
    public int Lookup(string token) =>
        _ids.TryGetValue(token, out int id) ? id : NumOov > 0 ? (Mask is null ? 0 : 1) : -1;

    /// <summary>
    /// Learns the vocabulary from documents already split into tokens: sorted by count (descending) and, for equal
    /// counts, by the token in descending ordinal order (Keras' <c>np.lexsort((tokens, counts))[::-1]</c>); at most
    /// <paramref name="maxTokens"/> − <see cref="TokenStart"/> tokens; IDF log(1 + docs / (1 + doc_count)) when asked.
    /// </summary>
    public void Learn(IEnumerable<IReadOnlyList<string>> documents, int? maxTokens, bool idf, string who)
    {
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        var docCounts = idf ? new Dictionary<string, long>(StringComparer.Ordinal) : null;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        long docs = 0;
        foreach (var doc in documents)
        {
            docs++;
            seen.Clear();
            foreach (var t in doc)
            {
                if (t == Mask) continue;
                counts[t] = counts.GetValueOrDefault(t) + 1;
                if (docCounts != null && seen.Add(t)) docCounts[t] = docCounts.GetValueOrDefault(t) + 1;
            }
        }
        var tokens = new List<string>(counts.Keys);
        if (NumOov > 0) tokens.Remove(Oov);
        tokens.Sort((a, b) =>
        {
            int c = counts[b].CompareTo(counts[a]);
            return c != 0 ? c : string.CompareOrdinal(b, a);
        });
        if (maxTokens is int m)
        {
            int keep = Math.Max(m - TokenStart, 0);
            if (tokens.Count > keep) tokens.RemoveRange(keep, tokens.Count - keep);
        }
        float[]? weights = null;
        if (idf)
        {
            weights = new float[tokens.Count];
            for (int i = 0; i < tokens.Count; i++) weights[i] = (float)Math.Log(1.0 + docs / (1.0 + docCounts![tokens[i]]));
        }
        Set(tokens, weights, who);
    }
}

/// <summary>
/// Turns raw text into token ids or bag-of-words vectors (Keras <c>TextVectorization</c>): standardize (default
/// <c>"lower_and_strip_punctuation"</c>: lower case, then remove <c>!"#$%&amp;()*+,-./:;&lt;=&gt;?@[\]^_`{|}~'</c>),
/// split (default on whitespace), optional n-grams (joined by a space), then look each token up in a vocabulary learned by
/// <see cref="Adapt"/> or given. <c>"int"</c> output: (batch, output_sequence_length) ids, 0 = padding, 1 = OOV
/// (<c>[UNK]</c>), padded or truncated at the end (to the longest sample when no length is set); <c>"multi_hot"</c>,
/// <c>"count"</c>, <c>"tf_idf"</c>: (batch, vocabulary size) with index 0 the OOV bucket. <c>max_tokens</c> counts the
/// padding and OOV entries, as in Keras.
/// </summary>
/// <remarks>
/// Strings do not enter a model's graph (see <see cref="StringLayer"/>): vectorize with <c>Apply(texts)</c> and train on
/// the tensor, then set <c>model.StringInput = vectorizer</c> for an end-to-end <c>Predict(string[])</c>. The vocabulary
/// (and IDF weights) are part of the layer's config, so they are saved with the model.
/// </remarks>
public sealed class TextVectorization : StringLayer
{
    internal const string StripChars = "!\"#$%&()*+,-./:;<=>?@[\\]^_`{|}~'";
    private readonly TokenIndex _index;
    private readonly int[] _ngrams;
    private readonly OutputKind _mode;

    private enum OutputKind { Int, MultiHot, Count, TfIdf }

    /// <summary>Creates the layer.</summary>
    /// <param name="maxTokens">Vocabulary size cap, padding and OOV included; null for no cap.</param>
    /// <param name="standardize"><c>"lower_and_strip_punctuation"</c> (default), <c>"lower"</c>, <c>"strip_punctuation"</c> or null (none).</param>
    /// <param name="split"><c>"whitespace"</c> (default), <c>"character"</c> or null (the whole string is one token).</param>
    /// <param name="ngrams">null (tokens only), n (all 1…n-grams) — see <paramref name="ngramSizes"/> for a list.</param>
    /// <param name="outputMode"><c>"int"</c> (default), <c>"multi_hot"</c>, <c>"count"</c> or <c>"tf_idf"</c>.</param>
    /// <param name="outputSequenceLength">For "int": pad or truncate every sample to this length; null pads to the longest in the batch.</param>
    /// <param name="padToMaxTokens">For the vector modes: make the output max_tokens wide even when the vocabulary is smaller.</param>
    /// <param name="vocabulary">A fixed vocabulary (without the padding and OOV tokens), instead of <see cref="Adapt"/>.</param>
    /// <param name="idfWeights">For "tf_idf" with a fixed vocabulary: one IDF weight per vocabulary token.</param>
    /// <param name="ngramSizes">Explicit n-gram sizes (Keras' tuple form), e.g. [1, 3]; overrides <paramref name="ngrams"/>.</param>
    /// <param name="name">Layer name; generated when null (<c>text_vectorization</c>, …).</param>
    public TextVectorization(int? maxTokens = null, string? standardize = "lower_and_strip_punctuation", string? split = "whitespace",
        int? ngrams = null, string outputMode = "int", int? outputSequenceLength = null, bool padToMaxTokens = false,
        IReadOnlyList<string>? vocabulary = null, float[]? idfWeights = null, int[]? ngramSizes = null, string? name = null) : base(name)
    {
        if (maxTokens is int mt && mt < 3) throw new ArgumentOutOfRangeException(nameof(maxTokens), $"{Who}: max_tokens must be at least 3 (padding, OOV and one token) or null; got {maxTokens}.");
        Standardize = standardize?.ToLowerInvariant() is null or "none" ? null
            : standardize.ToLowerInvariant() is "lower_and_strip_punctuation" or "lower" or "strip_punctuation" ? standardize.ToLowerInvariant()
            : throw new ArgumentException($"{Who}: standardize must be 'lower_and_strip_punctuation', 'lower', 'strip_punctuation' or null; got '{standardize}'.");
        Split = split?.ToLowerInvariant() is null or "none" ? null
            : split.ToLowerInvariant() is "whitespace" or "character" ? split.ToLowerInvariant()
            : throw new ArgumentException($"{Who}: split must be 'whitespace', 'character' or null; got '{split}'.");
        _mode = outputMode.ToLowerInvariant() switch
        {
            "int" => OutputKind.Int, "multi_hot" => OutputKind.MultiHot, "count" => OutputKind.Count, "tf_idf" => OutputKind.TfIdf,
            _ => throw new ArgumentException($"{Who}: output_mode must be 'int', 'multi_hot', 'count' or 'tf_idf'; got '{outputMode}'."),
        };
        if (outputSequenceLength is not null && _mode != OutputKind.Int)
            throw new ArgumentException($"{Who}: output_sequence_length applies to output_mode 'int' only.");
        if (outputSequenceLength is <= 0) throw new ArgumentOutOfRangeException(nameof(outputSequenceLength), $"{Who}: output_sequence_length must be positive; got {outputSequenceLength}.");
        if (padToMaxTokens && (maxTokens is null || _mode == OutputKind.Int))
            throw new ArgumentException($"{Who}: pad_to_max_tokens needs max_tokens and a vector output_mode (multi_hot, count, tf_idf).");
        _ngrams = ngramSizes is not null ? (int[])ngramSizes.Clone() : ngrams is int n ? Enumerable.Range(1, n).ToArray() : [];
        foreach (int g in _ngrams)
            if (g <= 0) throw new ArgumentException($"{Who}: n-gram sizes must be positive; got {Shape.Format(_ngrams)}.");
        if (ngrams is <= 0) throw new ArgumentException($"{Who}: ngrams must be positive; got {ngrams}.");
        MaxTokens = maxTokens;
        OutputSequenceLength = outputSequenceLength;
        PadToMaxTokens = padToMaxTokens;
        _index = new TokenIndex(_mode == OutputKind.Int ? "" : null, 1, "[UNK]");
        if (vocabulary is not null) SetVocabulary(vocabulary, idfWeights);
        else if (idfWeights is not null) throw new ArgumentException($"{Who}: idf_weights need a vocabulary.");
    }

    private string Who => $"Layer '{Name}' (TextVectorization)";

    /// <summary>The vocabulary size cap (padding and OOV included), or null.</summary>
    public int? MaxTokens { get; }

    /// <summary>The standardization, or null.</summary>
    public string? Standardize { get; }

    /// <summary>The split, or null.</summary>
    public string? Split { get; }

    /// <summary>The n-gram sizes (empty: tokens only).</summary>
    public int[] NgramSizes => (int[])_ngrams.Clone();

    /// <summary><c>"int"</c>, <c>"multi_hot"</c>, <c>"count"</c> or <c>"tf_idf"</c>.</summary>
    public string OutputMode => _mode switch { OutputKind.Int => "int", OutputKind.MultiHot => "multi_hot", OutputKind.Count => "count", _ => "tf_idf" };

    /// <summary>The fixed output length in "int" mode, or null.</summary>
    public int? OutputSequenceLength { get; }

    /// <summary>Whether vector outputs are max_tokens wide.</summary>
    public bool PadToMaxTokens { get; }

    /// <summary>The vocabulary in index order, padding (<c>""</c>, int mode) and <c>[UNK]</c> included (Keras <c>get_vocabulary()</c>).</summary>
    public IReadOnlyList<string> GetVocabulary() => _index.Vocabulary.ToArray();

    /// <summary>The vocabulary size, padding and OOV included (Keras <c>vocabulary_size()</c>).</summary>
    public int VocabularySize => _index.Count;

    /// <summary>The IDF weight of each index ("tf_idf" mode), or null.</summary>
    public float[]? IdfWeights => (float[]?)_index.Idf?.Clone();

    /// <inheritdoc />
    public override int[] OutputSampleShape => _mode == OutputKind.Int ? [OutputSequenceLength ?? -1] : [Width];

    private int Width => PadToMaxTokens ? MaxTokens!.Value : _index.Count;

    /// <summary>Sets a fixed vocabulary (without padding and OOV tokens) and, for "tf_idf", its IDF weights.</summary>
    public void SetVocabulary(IReadOnlyList<string> vocabulary, float[]? idfWeights = null)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        if (_mode == OutputKind.TfIdf && idfWeights is null) throw new ArgumentException($"{Who}: output_mode 'tf_idf' needs idf_weights with a fixed vocabulary.");
        if (_mode != OutputKind.TfIdf && idfWeights is not null) throw new ArgumentException($"{Who}: idf_weights apply to output_mode 'tf_idf' only.");
        if (MaxTokens is int m && vocabulary.Count + _index.TokenStart > m)
            throw new ArgumentException($"{Who}: the vocabulary has {vocabulary.Count} tokens, more than max_tokens {m} allows ({m - _index.TokenStart} besides padding and OOV).");
        _index.Set(vocabulary, idfWeights, Who);
    }

    /// <summary>
    /// Learns the vocabulary (and IDF weights for "tf_idf") from a corpus, one string per document, after
    /// standardizing, splitting and n-grams. Replaces any earlier vocabulary.
    /// </summary>
    public void Adapt(IEnumerable<string> corpus)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        _index.Learn(corpus.Select((s, i) => (IReadOnlyList<string>)Tokens(s ?? throw new ArgumentException($"{Who}: corpus entry {i} is null."))),
            MaxTokens, _mode == OutputKind.TfIdf, Who);
    }

    /// <summary>Keras' standardization of one string.</summary>
    public string StandardizeText(string text)
    {
        if (Standardize is null) return text;
        if (Standardize is "lower_and_strip_punctuation" or "lower") text = text.ToLowerInvariant();
        if (Standardize is "lower_and_strip_punctuation" or "strip_punctuation")
        {
            var sb = new StringBuilder(text.Length);
            foreach (char ch in text) if (StripChars.IndexOf(ch) < 0) sb.Append(ch);
            text = sb.ToString();
        }
        return text;
    }

    /// <summary>The tokens of one string: standardized, split, then n-grams of each size in order (all 1-grams, then 2-grams, …).</summary>
    public List<string> Tokens(string text)
    {
        text = StandardizeText(text);
        List<string> words;
        if (Split == "whitespace") words = [.. text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)];
        else if (Split == "character")
        {
            words = [];
            var e = System.Globalization.StringInfo.GetTextElementEnumerator(text);
            while (e.MoveNext()) words.Add((string)e.Current);
        }
        else words = [text];
        if (_ngrams.Length == 0) return words;
        var result = new List<string>();
        foreach (int n in _ngrams)
            for (int i = 0; i + n <= words.Count; i++)
                result.Add(n == 1 ? words[i] : string.Join(' ', words.GetRange(i, n)));
        return result;
    }

    /// <inheritdoc />
    public override Tensor Apply(IReadOnlyList<string> inputs)
    {
        CheckBatch(inputs, Who);
        if (!_index.HasTokens) throw new InvalidOperationException($"{Who} has no vocabulary: call Adapt(corpus) or pass vocabulary: first.");
        int b = inputs.Count;
        if (_mode == OutputKind.Int)
        {
            var ids = new List<int>[b];
            int longest = 0;
            for (int i = 0; i < b; i++)
            {
                var toks = Tokens(inputs[i]);
                var row = new List<int>(toks.Count);
                foreach (var t in toks) row.Add(_index.Lookup(t));
                ids[i] = row;
                longest = Math.Max(longest, row.Count);
            }
            int len = OutputSequenceLength ?? longest;
            var y = new Tensor(new Shape(b, len));
            var s = y.Span;
            for (int i = 0; i < b; i++)
                for (int j = 0; j < Math.Min(len, ids[i].Count); j++) s[i * len + j] = ids[i][j];
            return y;
        }
        int width = Width;
        var v = new Tensor(new Shape(b, width));
        var vs = v.Span;
        float[]? idf = _index.Idf;
        for (int i = 0; i < b; i++)
        {
            var row = vs.Slice(i * width, width);
            foreach (var t in Tokens(inputs[i]))
            {
                int id = _index.Lookup(t);
                if (_mode == OutputKind.MultiHot) row[id] = 1f;
                else row[id] += 1f;
            }
            if (_mode == OutputKind.TfIdf)
                for (int j = 0; j < _index.Count; j++) row[j] *= idf![j];
        }
        return v;
    }

    /// <summary>Rebuilds the layer from its saved config (<see cref="GetConfig"/>); every default is written here once.</summary>
    public static TextVectorization FromConfig(LayerConfig c) => new TextVectorization(c.GetOptionalInt("max_tokens"), c.GetNullableString("standardize", "lower_and_strip_punctuation"),
        c.GetNullableString("split", "whitespace"), null, c.GetChoice("output_mode", "int", "int", "multi_hot", "count", "tf_idf"),
        c.GetOptionalInt("output_sequence_length"), c.GetBool("pad_to_max_tokens", false), c.GetStringArray("vocabulary"), c.GetFloatArray("idf_weights"),
        c.Has("ngrams") ? NgramsFromConfig(c) : null, c.Name);

    /// <summary>Keras' ngrams: an int n (all 1…n) or a list of sizes.</summary>
    private static int[] NgramsFromConfig(LayerConfig c)
    {
        if (c.Raw.GetProperty("ngrams").ValueKind == System.Text.Json.JsonValueKind.Number)
        {
            int n = c.GetInt("ngrams");
            return n is > 0 and <= 16 ? Enumerable.Range(1, n).ToArray() : throw c.Error("'ngrams' must be in 1..16.");
        }
        return c.GetIntArray("ngrams", 16);
    }

    /// <inheritdoc />
    public override Dictionary<string, object?> GetConfig()
    {
        var c = base.GetConfig();
        c["max_tokens"] = MaxTokens;
        c["standardize"] = Standardize;
        c["split"] = Split;
        c["ngrams"] = _ngrams.Length == 0 ? null : _ngrams;
        c["output_mode"] = OutputMode;
        c["output_sequence_length"] = OutputSequenceLength;
        c["pad_to_max_tokens"] = PadToMaxTokens;
        c["vocabulary"] = _index.HasTokens ? _index.Vocabulary.Skip(_index.TokenStart).ToArray() : null;
        c["idf_weights"] = _index.Idf?.Skip(_index.TokenStart).ToArray();
        return c;
    }
}

/// <summary>
/// Maps strings to integer indices (Keras <c>StringLookup</c>): a vocabulary learned by <see cref="Adapt"/> or given;
/// defaults as Keras: no mask token, one OOV index (<c>[UNK]</c>) at 0, so the first token is 1. <c>output_mode</c>
/// <c>"int"</c> (default; input one string per sample → (batch, 1)), <c>"one_hot"</c>, <c>"multi_hot"</c> or
/// <c>"count"</c>. Apply it to strings (see <see cref="StringLayer"/>); for several strings per sample use
/// <see cref="Apply(IReadOnlyList{IReadOnlyList{string}})"/>.
/// </summary>
public sealed class StringLookup : StringLayer
{
    private readonly TokenIndex _index;
    private readonly EncodingMode _mode;

    /// <summary>Creates the layer.</summary>
    /// <param name="maxTokens">Vocabulary size cap (mask and OOV included), or null.</param>
    /// <param name="numOovIndices">0 (an unknown string is an error) or 1 (default). Several OOV buckets are not supported.</param>
    /// <param name="maskToken">A token that maps to 0 (e.g. <c>""</c>), or null (default: none).</param>
    /// <param name="oovToken">The OOV token (default <c>[UNK]</c>).</param>
    /// <param name="vocabulary">A fixed vocabulary (without mask and OOV tokens), instead of <see cref="Adapt"/>.</param>
    /// <param name="outputMode"><c>"int"</c> (default), <c>"one_hot"</c>, <c>"multi_hot"</c> or <c>"count"</c>.</param>
    /// <param name="name">Layer name; generated when null (<c>string_lookup</c>, …).</param>
    public StringLookup(int? maxTokens = null, int numOovIndices = 1, string? maskToken = null, string oovToken = "[UNK]",
        IReadOnlyList<string>? vocabulary = null, string outputMode = "int", string? name = null) : base(name)
    {
        if (numOovIndices is not (0 or 1))
            throw new NotSupportedException($"{Who}: num_oov_indices must be 0 or 1; several OOV buckets (hashed by TensorFlow's FarmHash in Keras) are not supported.");
        MaxTokens = maxTokens;
        _mode = EncodingModes.Parse(outputMode, Who, allowInt: true);
        _index = new TokenIndex(maskToken, numOovIndices, oovToken);
        if (maxTokens is int m && m <= _index.TokenStart) throw new ArgumentOutOfRangeException(nameof(maxTokens), $"{Who}: max_tokens {m} leaves no room for tokens.");
        if (vocabulary is not null) SetVocabulary(vocabulary);
    }

    private string Who => $"Layer '{Name}' (StringLookup)";

    /// <summary>The vocabulary size cap, or null.</summary>
    public int? MaxTokens { get; }

    /// <summary>OOV indices (0 or 1).</summary>
    public int NumOovIndices => _index.NumOov;

    /// <summary>The mask token, or null.</summary>
    public string? MaskToken => _index.Mask;

    /// <summary>The OOV token.</summary>
    public string OovToken => _index.Oov;

    /// <summary>The output mode.</summary>
    public string OutputMode => EncodingModes.Name(_mode);

    /// <summary>The vocabulary in index order, mask and OOV included.</summary>
    public IReadOnlyList<string> GetVocabulary() => _index.Vocabulary.ToArray();

    /// <summary>The vocabulary size, mask and OOV included.</summary>
    public int VocabularySize => _index.Count;

    /// <inheritdoc />
    public override int[] OutputSampleShape => _mode == EncodingMode.Int ? [1] : [_index.Count];

    /// <summary>Sets a fixed vocabulary (without mask and OOV tokens).</summary>
    public void SetVocabulary(IReadOnlyList<string> vocabulary)
    {
        if (MaxTokens is int m && vocabulary.Count + _index.TokenStart > m)
            throw new ArgumentException($"{Who}: the vocabulary has {vocabulary.Count} tokens, more than max_tokens {m} allows.");
        _index.Set(vocabulary, null, Who);
    }

    /// <summary>Learns the vocabulary from a list of strings (each one token), most frequent first.</summary>
    public void Adapt(IEnumerable<string> data)
    {
        ArgumentNullException.ThrowIfNull(data);
        _index.Learn(data.Select(s => (IReadOnlyList<string>)[s]), MaxTokens, idf: false, Who);
    }

    private int Id(string s, int i)
    {
        int id = _index.Lookup(s);
        return id >= 0 ? id : throw new ArgumentException($"{Who}: input {i} ('{s}') is not in the vocabulary and num_oov_indices is 0.");
    }

    /// <inheritdoc />
    public override Tensor Apply(IReadOnlyList<string> inputs)
    {
        CheckBatch(inputs, Who);
        return Apply(inputs.Select(s => (IReadOnlyList<string>)[s]).ToArray());
    }

    /// <summary>Several strings per sample: "int" → (batch, k) (padded with the mask index 0 when lengths differ), the vector modes → (batch, vocabulary size).</summary>
    public Tensor Apply(IReadOnlyList<IReadOnlyList<string>> samples)
    {
        ArgumentNullException.ThrowIfNull(samples);
        if (!_index.HasTokens) throw new InvalidOperationException($"{Who} has no vocabulary: call Adapt(data) or pass vocabulary: first.");
        int b = samples.Count;
        if (_mode == EncodingMode.Int)
        {
            int k = 0;
            foreach (var s in samples) k = Math.Max(k, s.Count);
            var y = new Tensor(new Shape(b, k));
            for (int i = 0; i < b; i++)
                for (int j = 0; j < samples[i].Count; j++) y.Span[i * k + j] = Id(samples[i][j], i);
            return y;
        }
        if (_mode == EncodingMode.OneHot)
            for (int i = 0; i < b; i++)
                if (samples[i].Count != 1) throw new ArgumentException($"{Who}: output_mode 'one_hot' takes one string per sample; sample {i} has {samples[i].Count}.");
        int w = _index.Count;
        var v = new Tensor(new Shape(b, w));
        for (int i = 0; i < b; i++)
            foreach (var s in samples[i])
            {
                int id = Id(s, i);
                if (_mode == EncodingMode.Count) v.Span[i * w + id] += 1f;
                else v.Span[i * w + id] = 1f;
            }
        return v;
    }

    /// <summary>Rebuilds the layer from its saved config (<see cref="GetConfig"/>); every default is written here once.</summary>
    public static StringLookup FromConfig(LayerConfig c) => new StringLookup(c.GetOptionalInt("max_tokens"), c.GetInt("num_oov_indices", 1), c.GetOptionalString("mask_token"),
        c.GetString("oov_token", "[UNK]"), c.GetStringArray("vocabulary"), c.GetChoice("output_mode", "int", "int", "one_hot", "multi_hot", "count"), c.Name);

    /// <inheritdoc />
    public override Dictionary<string, object?> GetConfig()
    {
        var c = base.GetConfig();
        c["max_tokens"] = MaxTokens;
        c["num_oov_indices"] = NumOovIndices;
        c["mask_token"] = MaskToken;
        c["oov_token"] = OovToken;
        c["vocabulary"] = _index.HasTokens ? _index.Vocabulary.Skip(_index.TokenStart).ToArray() : null;
        c["output_mode"] = OutputMode;
        return c;
    }
}

/// <summary>
/// Maps integer values to contiguous indices (Keras <c>IntegerLookup</c>): defaults as Keras, no mask, one OOV index
/// at 0 (OOV token −1), learned vocabulary from <see cref="Adapt"/> (most frequent first, ties by larger value) or given.
/// Runs inside a model (integers are stored as floats); <c>output_mode</c> <c>"int"</c> (same shape),
/// <c>"one_hot"</c>, <c>"multi_hot"</c> or <c>"count"</c>.
/// </summary>
public sealed class IntegerLookup : Layer
{
    private readonly EncodingMode _mode;
    private Dictionary<long, int> _ids = new();
    private long[] _vocab = [];

    /// <summary>Creates the layer.</summary>
    /// <param name="maxTokens">Vocabulary size cap (mask and OOV included), or null.</param>
    /// <param name="numOovIndices">0 (an unknown value is an error) or 1 (default).</param>
    /// <param name="maskToken">A value that maps to 0, or null (default).</param>
    /// <param name="oovToken">The OOV value listed in the vocabulary (default −1).</param>
    /// <param name="vocabulary">A fixed vocabulary (without mask and OOV), instead of <see cref="Adapt"/>.</param>
    /// <param name="outputMode"><c>"int"</c> (default), <c>"one_hot"</c>, <c>"multi_hot"</c> or <c>"count"</c>.</param>
    /// <param name="name">Layer name; generated when null (<c>integer_lookup</c>, …).</param>
    public IntegerLookup(int? maxTokens = null, int numOovIndices = 1, long? maskToken = null, long oovToken = -1, long[]? vocabulary = null,
        string outputMode = "int", string? name = null) : base(name)
    {
        if (numOovIndices is not (0 or 1))
            throw new NotSupportedException($"{Who}: num_oov_indices must be 0 or 1; several OOV buckets are not supported.");
        (MaxTokens, NumOovIndices, MaskToken, OovToken) = (maxTokens, numOovIndices, maskToken, oovToken);
        _mode = EncodingModes.Parse(outputMode, Who, allowInt: true);
        if (vocabulary is not null) SetVocabulary(vocabulary);
    }

    private string Who => $"Layer '{Name}' (IntegerLookup)";
    private int TokenStart => (MaskToken is null ? 0 : 1) + NumOovIndices;

    /// <summary>The vocabulary size cap, or null.</summary>
    public int? MaxTokens { get; }

    /// <summary>OOV indices (0 or 1).</summary>
    public int NumOovIndices { get; }

    /// <summary>The mask value, or null.</summary>
    public long? MaskToken { get; }

    /// <summary>The OOV value.</summary>
    public long OovToken { get; }

    /// <summary>The output mode.</summary>
    public string OutputMode => EncodingModes.Name(_mode);

    /// <summary>The vocabulary size, mask and OOV included.</summary>
    public int VocabularySize => TokenStart + _vocab.Length;

    /// <summary>The vocabulary in index order, mask and OOV included.</summary>
    public long[] GetVocabulary()
    {
        var v = new List<long>();
        if (MaskToken is long m) v.Add(m);
        for (int i = 0; i < NumOovIndices; i++) v.Add(OovToken);
        v.AddRange(_vocab);
        return [.. v];
    }

    /// <summary>Sets a fixed vocabulary (without mask and OOV values).</summary>
    public void SetVocabulary(long[] vocabulary)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        if (MaxTokens is int m && vocabulary.Length + TokenStart > m)
            throw new ArgumentException($"{Who}: the vocabulary has {vocabulary.Length} values, more than max_tokens {m} allows.");
        var ids = new Dictionary<long, int>();
        if (MaskToken is long mask) ids[mask] = 0;
        for (int i = 0; i < vocabulary.Length; i++)
        {
            if (vocabulary[i] == MaskToken || (NumOovIndices > 0 && vocabulary[i] == OovToken))
                throw new ArgumentException($"{Who}: the vocabulary must not contain the reserved value {vocabulary[i]} (entry {i}).");
            if (!ids.TryAdd(vocabulary[i], TokenStart + i)) throw new ArgumentException($"{Who}: the vocabulary repeats {vocabulary[i]} (entry {i}).");
        }
        _ids = ids;
        _vocab = (long[])vocabulary.Clone();
        _vocabVersion++; // a recorded step holds the old table: make models record again
    }

    private long _vocabVersion;

    /// <inheritdoc />
    public override long StructureVersion => base.StructureVersion + _vocabVersion;

    /// <summary>Learns the vocabulary from integer values (any shape), most frequent first.</summary>
    public void Adapt(Tensor data)
    {
        ArgumentNullException.ThrowIfNull(data);
        var counts = new Dictionary<long, long>();
        ReadOnlySpan<float> s = data.Span;
        for (int i = 0; i < s.Length; i++)
        {
            float v = s[i];
            if (!float.IsFinite(v) || v != MathF.Round(v)) throw new ArgumentException($"{Who}: Adapt expects integer values; got {v} at flat position {i}.");
            long k = (long)v;
            if (k == MaskToken || (NumOovIndices > 0 && k == OovToken)) continue;
            counts[k] = counts.GetValueOrDefault(k) + 1;
        }
        var keys = counts.Keys.ToList();
        keys.Sort((a, b) => counts[b] != counts[a] ? counts[b].CompareTo(counts[a]) : b.CompareTo(a));
        if (MaxTokens is int m && keys.Count > m - TokenStart) keys.RemoveRange(Math.Max(m - TokenStart, 0), keys.Count - Math.Max(m - TokenStart, 0));
        SetVocabulary([.. keys]);
    }

    /// <inheritdoc />
    public override Tensor Call(Tensor input, bool training)
    {
        if (_vocab.Length == 0) throw new InvalidOperationException($"{Who} has no vocabulary: call Adapt(data) or pass vocabulary: first.");
        return input.Encode(VocabularySize, _mode, _ids, NumOovIndices > 0 ? (MaskToken is null ? 0 : 1) : -1, Who);
    }

    /// <inheritdoc />
    public override Shape[] ComputeOutputShapes(Shape[] inputShapes) =>
        _mode == EncodingMode.Int ? [inputShapes[0]] : [new Shape(inputShapes[0][0], VocabularySize)];

    /// <summary>Rebuilds the layer from its saved config (<see cref="GetConfig"/>); every default is written here once.</summary>
    public static IntegerLookup FromConfig(LayerConfig c) => new IntegerLookup(c.GetOptionalInt("max_tokens"), c.GetInt("num_oov_indices", 1), c.Has("mask_token") ? c.GetLong("mask_token") : null,
        c.Has("oov_token") ? c.GetLong("oov_token") : -1, c.Has("vocabulary") ? c.GetLongArray("vocabulary") : null,
        c.GetChoice("output_mode", "int", "int", "one_hot", "multi_hot", "count"), c.Name);

    /// <inheritdoc />
    public override Dictionary<string, object?> GetConfig()
    {
        var c = base.GetConfig();
        c["max_tokens"] = MaxTokens;
        c["num_oov_indices"] = NumOovIndices;
        c["mask_token"] = MaskToken;
        c["oov_token"] = OovToken;
        c["vocabulary"] = _vocab.Length == 0 ? null : _vocab;
        c["output_mode"] = OutputMode;
        return c;
    }
}

/// <summary>
/// Hashes strings or integers into <c>num_bins</c> bins (Keras <c>Hashing</c>). With <c>mask_value</c>, that value maps
/// to 0 and everything else to [1, num_bins). Integers are hashed through their decimal text, as Keras does.
/// </summary>
/// <remarks>
/// The bins are Keras': without a salt the hash is FarmHash's Fingerprint64 of the UTF-8 bytes (TensorFlow's
/// <c>to_hash_bucket_fast</c>, managed port in <see cref="FarmHash"/>); with a salt it is SipHash-2-4 keyed by it (two
/// 64-bit halves; an int salt is used for both), TensorFlow's <c>to_hash_bucket_strong</c>. Both are fixed functions,
/// so bins are stable across runs, machines and versions.
/// </remarks>
public sealed class Hashing : StringLayer
{
    private readonly ulong _k0, _k1;
    private readonly byte[]? _maskUtf8;

    /// <summary>Creates the layer.</summary>
    /// <param name="numBins">Number of bins (mask bin included).</param>
    /// <param name="maskValue">A string (or integer text) that maps to bin 0, or null.</param>
    /// <param name="salt">null, one int (used for both key halves) or two.</param>
    /// <param name="name">Layer name; generated when null (<c>hashing</c>, …).</param>
    public Hashing(int numBins, string? maskValue = null, long[]? salt = null, string? name = null) : base(name)
    {
        if (numBins <= 0 || (maskValue is not null && numBins < 2))
            throw new ArgumentOutOfRangeException(nameof(numBins), $"{Who}: num_bins must be positive (at least 2 with a mask_value); got {numBins}.");
        if (salt is not null && salt.Length is not (1 or 2)) throw new ArgumentException($"{Who}: salt must be one or two integers; got {salt.Length}.");
        (NumBins, MaskValue) = (numBins, maskValue);
        Salt = (long[]?)salt?.Clone();
        _maskUtf8 = maskValue is null ? null : Encoding.UTF8.GetBytes(maskValue);
        if (salt is not null) (_k0, _k1) = ((ulong)salt[0], (ulong)salt[^1]);
    }

    private string Who => $"Layer '{Name}' (Hashing)";

    /// <summary>Number of bins.</summary>
    public int NumBins { get; }

    /// <summary>The value mapped to bin 0, or null.</summary>
    public string? MaskValue { get; }

    /// <summary>The salt, or null.</summary>
    public long[]? Salt { get; }

    /// <inheritdoc />
    public override int[] OutputSampleShape => [1];

    /// <summary>The bin of one string.</summary>
    public int Bin(string value)
    {
        // Short strings (every integer's text, most tokens) are encoded on the stack; only long ones allocate.
        const int StackBytes = 256;
        if (Encoding.UTF8.GetMaxByteCount(value.Length) > StackBytes) return Bin(Encoding.UTF8.GetBytes(value));
        Span<byte> buffer = stackalloc byte[StackBytes];
        return Bin(buffer[..Encoding.UTF8.GetBytes(value, buffer)]);
    }

    /// <summary>The bin of a string given as its UTF-8 bytes (what TensorFlow hashes and compares with the mask).</summary>
    internal int Bin(ReadOnlySpan<byte> utf8)
    {
        if (_maskUtf8 is not null)
            return utf8.SequenceEqual(_maskUtf8) ? 0 : (int)(Hash(utf8) % (ulong)(NumBins - 1)) + 1;
        return (int)(Hash(utf8) % (ulong)NumBins);
    }

    /// <summary>The bin of an integer, hashed through its invariant decimal text (Keras' <c>as_string</c>) without allocating.</summary>
    internal int BinOfInteger(long value)
    {
        Span<byte> text = stackalloc byte[24]; // "-9223372036854775808" is 20 bytes
        if (!System.Buffers.Text.Utf8Formatter.TryFormat(value, text, out int written))
            throw new InvalidOperationException($"{Who}: could not format {value} as decimal text.");
        return Bin(text[..written]);
    }

    private ulong Hash(ReadOnlySpan<byte> utf8) => Salt is null ? FarmHash.Fingerprint64(utf8) : SipHash24(_k0, _k1, utf8);

    /// <summary>One string per sample → (batch, 1) bins.</summary>
    public override Tensor Apply(IReadOnlyList<string> inputs)
    {
        CheckBatch(inputs, Who);
        var y = new Tensor(new Shape(inputs.Count, 1));
        for (int i = 0; i < inputs.Count; i++) y.Span[i] = Bin(inputs[i]);
        return y;
    }

    /// <summary>Integer input (stored as floats, any shape) → bins of the same shape, computed per batch by an op.</summary>
    public override Tensor Call(Tensor input, bool training) => Autograd.Engine.Record(new HashingOp(input, this, Who));

    /// <inheritdoc />
    public override Shape[] ComputeOutputShapes(Shape[] inputShapes) => [inputShapes[0]];

    /// <summary>SipHash-2-4 (Aumasson and Bernstein) of <paramref name="data"/> under the key (k0, k1).</summary>
    internal static ulong SipHash24(ulong k0, ulong k1, ReadOnlySpan<byte> data)
    {
        ulong v0 = 0x736f6d6570736575UL ^ k0, v1 = 0x646f72616e646f6dUL ^ k1, v2 = 0x6c7967656e657261UL ^ k0, v3 = 0x7465646279746573UL ^ k1;
        int end = data.Length - data.Length % 8;
        for (int i = 0; i < end; i += 8)
        {
            ulong m = System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(data.Slice(i, 8));
            v3 ^= m;
            Round(ref v0, ref v1, ref v2, ref v3);
            Round(ref v0, ref v1, ref v2, ref v3);
            v0 ^= m;
        }
        ulong last = (ulong)data.Length << 56;
        for (int i = end; i < data.Length; i++) last |= (ulong)data[i] << (8 * (i - end));
        v3 ^= last;
        Round(ref v0, ref v1, ref v2, ref v3);
        Round(ref v0, ref v1, ref v2, ref v3);
        v0 ^= last;
        v2 ^= 0xff;
        for (int r = 0; r < 4; r++) Round(ref v0, ref v1, ref v2, ref v3);
        return v0 ^ v1 ^ v2 ^ v3;

        static void Round(ref ulong v0, ref ulong v1, ref ulong v2, ref ulong v3)
        {
            v0 += v1; v1 = ulong.RotateLeft(v1, 13); v1 ^= v0; v0 = ulong.RotateLeft(v0, 32);
            v2 += v3; v3 = ulong.RotateLeft(v3, 16); v3 ^= v2;
            v0 += v3; v3 = ulong.RotateLeft(v3, 21); v3 ^= v0;
            v2 += v1; v1 = ulong.RotateLeft(v1, 17); v1 ^= v2; v2 = ulong.RotateLeft(v2, 32);
        }
    }

    /// <summary>Rebuilds the layer from its saved config (<see cref="GetConfig"/>); every default is written here once.</summary>
    public static Hashing FromConfig(LayerConfig c)
    {
        c.GetChoice("output_mode", "int", "int");
        return new Hashing(c.GetInt("num_bins"), c.GetOptionalString("mask_value"), c.Has("salt") ? SaltFromConfig(c) : null, c.Name);
    }

    /// <summary>Keras' salt: one integer or a pair.</summary>
    private static long[] SaltFromConfig(LayerConfig c)
    {
        if (c.Raw.GetProperty("salt").ValueKind == System.Text.Json.JsonValueKind.Number) return [c.GetLong("salt")];
        var s = c.GetLongArray("salt");
        return s.Length is 1 or 2 ? s : throw c.Error("'salt' must be one or two integers.");
    }

    /// <inheritdoc />
    public override Dictionary<string, object?> GetConfig()
    {
        var c = base.GetConfig();
        c["num_bins"] = NumBins;
        c["mask_value"] = MaskValue;
        c["salt"] = Salt;
        c["output_mode"] = "int";
        return c;
    }
}

/// <summary>Hashes each integer (as its decimal text) into a bin in <see cref="Forward"/>, allocating nothing; not differentiable.</summary>
internal sealed class HashingOp : Autograd.Op
{
    private readonly Hashing _layer;
    private readonly string _who;

    public HashingOp(Tensor x, Hashing layer, string who) : base(x)
    {
        (_layer, _who) = (layer, who);
        Output = new Tensor(x.Shape);
    }

    public override string Name => "Hashing";

    public override void Forward()
    {
        ReadOnlySpan<float> x = Inputs[0].Span;
        Span<float> y = Output.Span;
        for (int i = 0; i < x.Length; i++)
        {
            float v = x[i];
            if (!float.IsFinite(v) || v != MathF.Round(v)) throw new ArgumentException($"{_who}: tensor input must hold integers; got {v} at flat position {i}.");
            y[i] = _layer.BinOfInteger((long)v); // stack-formatted text: no allocation per element or step
        }
    }

    public override void Backward() { }
}
