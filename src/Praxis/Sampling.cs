namespace Praxis;

/// <summary>
/// Picks the next token from a row of logits, as language-model generation does (nanoGPT's <c>generate</c>, KerasHub's
/// samplers): greedy (arg max), or random from softmax(logits / temperature), optionally restricted to the
/// <c>topK</c> most likely tokens.
/// </summary>
public static class Sampling
{
    /// <summary>The index of the largest logit (the first one on ties).</summary>
    public static int Greedy(ReadOnlySpan<float> logits)
    {
        if (logits.IsEmpty) throw new ArgumentException("Greedy: no logits.");
        int best = 0;
        for (int i = 1; i < logits.Length; i++)
            if (logits[i] > logits[best]) best = i;
        return best;
    }

    /// <summary>
    /// Samples an index with probability softmax(logits / <paramref name="temperature"/>), keeping only the
    /// <paramref name="topK"/> largest logits when given (ties at the k-th value are kept, as nanoGPT's
    /// <c>logits &lt; v[-1]</c> filter does). Temperature 0 is greedy.
    /// </summary>
    /// <param name="logits">One row of logits.</param>
    /// <param name="temperature">Above 1 flattens, below 1 sharpens; must be ≥ 0.</param>
    /// <param name="topK">Keep only this many candidates (null or ≥ the vocabulary size: all).</param>
    /// <param name="rng">The generator (the global one when null).</param>
    /// <param name="topP">Nucleus sampling (Holtzman et al. 2019): keep the most likely candidates, in order, until
    /// their probabilities sum to at least p (the most likely always stays); null keeps all. Applied after top-k.</param>
    public static int Sample(ReadOnlySpan<float> logits, float temperature = 1f, int? topK = null, Rng? rng = null, float? topP = null)
    {
        if (topP is float p && !(p > 0f && p <= 1f)) throw new ArgumentOutOfRangeException(nameof(topP), $"Sample: top_p must be in (0, 1]; got {p}.");
        if (logits.IsEmpty) throw new ArgumentException("Sample: no logits.");
        if (temperature < 0 || float.IsNaN(temperature)) throw new ArgumentOutOfRangeException(nameof(temperature), $"Sample: temperature must be >= 0; got {temperature}.");
        if (topK is <= 0) throw new ArgumentOutOfRangeException(nameof(topK), $"Sample: top_k must be positive; got {topK}.");
        if (temperature == 0f) return Greedy(logits);
        float cutoff = float.NegativeInfinity;
        if (topK is int k && k < logits.Length)
        {
            Span<float> sorted = logits.Length <= 1024 ? stackalloc float[logits.Length] : new float[logits.Length];
            logits.CopyTo(sorted);
            sorted.Sort();
            cutoff = sorted[logits.Length - k];
        }
        float max = float.NegativeInfinity;
        foreach (float z in logits) if (z >= cutoff && z > max) max = z;
        double total = 0;
        for (int i = 0; i < logits.Length; i++)
            if (logits[i] >= cutoff) total += Math.Exp((logits[i] - max) / temperature);
        if (topP is float pp && pp < 1f) cutoff = NucleusCutoff(logits, cutoff, max, temperature, total, pp);
        if (topP is float && cutoff > float.NegativeInfinity)
        {
            total = 0;
            for (int i = 0; i < logits.Length; i++)
                if (logits[i] >= cutoff) total += Math.Exp((logits[i] - max) / temperature);
        }
        double u = (rng ?? Rng.Global).NextDouble() * total;
        int last = -1;
        for (int i = 0; i < logits.Length; i++)
        {
            if (logits[i] < cutoff) continue;
            last = i;
            u -= Math.Exp((logits[i] - max) / temperature);
            if (u < 0) return i;
        }
        return last; // rounding left a sliver of mass: the last candidate
    }

    /// <summary>The smallest logit kept by top-p: candidates sorted by logit, descending, until their mass reaches p.</summary>
    private static float NucleusCutoff(ReadOnlySpan<float> logits, float cutoff, float max, float temperature, double total, float p)
    {
        var kept = new List<float>();
        foreach (float z in logits) if (z >= cutoff) kept.Add(z);
        kept.Sort();
        double mass = 0;
        for (int i = kept.Count - 1; i >= 0; i--)
        {
            mass += Math.Exp((kept[i] - max) / temperature) / total;
            if (mass >= p) return kept[i]; // ties at the boundary are kept, as the top-k filter does
        }
        return kept[0];
    }
}
