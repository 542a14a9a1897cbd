using System.Diagnostics.CodeAnalysis;

namespace Praxis.Models;

/// <summary>
/// Keras' <c>sample_weight</c> argument of <c>fit</c> and <c>evaluate</c>: one tensor that weighs every output's loss and
/// weighted metrics, or one per output, as a <c>Tensor[]</c> in output order or a dictionary keyed by output name (a null
/// entry, or an output the dictionary does not name, is unweighted). A tensor, an array and a dictionary convert to it
/// implicitly: <c>Fit(x, [y1, y2], sampleWeight: new[] { w1, w2 })</c>,
/// <c>sampleWeight: new Dictionary&lt;string, Tensor&gt; { ["age"] = w }</c>.
/// </summary>
public sealed class SampleWeights
{
    private SampleWeights(Tensor? shared, Tensor?[]? list, IReadOnlyDictionary<string, Tensor>? byName)
    {
        Shared = shared;
        List = list;
        ByName = byName;
    }

    /// <summary>The one weight tensor for every output, or null when weights are given per output.</summary>
    public Tensor? Shared { get; }

    /// <summary>The weights in output order (null entries unweighted), or null.</summary>
    public IReadOnlyList<Tensor?>? List { get; }

    /// <summary>The weights keyed by output name, or null.</summary>
    public IReadOnlyDictionary<string, Tensor>? ByName { get; }

    /// <summary>One weight tensor for every output.</summary>
    public static SampleWeights ForAll(Tensor weights) => new(weights ?? throw new ArgumentNullException(nameof(weights)), null, null);

    /// <summary>One weight tensor per output, in output order (null leaves an output unweighted).</summary>
    public static SampleWeights PerOutput(params Tensor?[] weights) => new(null, (Tensor?[])(weights ?? throw new ArgumentNullException(nameof(weights))).Clone(), null);

    /// <summary>Weights keyed by output name (outputs not named are unweighted).</summary>
    public static SampleWeights PerOutput(IReadOnlyDictionary<string, Tensor> weights) =>
        new(null, null, new Dictionary<string, Tensor>(weights ?? throw new ArgumentNullException(nameof(weights))));

    /// <summary>One weight tensor for every output.</summary>
    [return: NotNullIfNotNull(nameof(weights))]
    public static implicit operator SampleWeights?(Tensor? weights) => weights is null ? null : ForAll(weights);

    /// <summary>One weight tensor per output, in output order.</summary>
    [return: NotNullIfNotNull(nameof(weights))]
    public static implicit operator SampleWeights?(Tensor?[]? weights) => weights is null ? null : PerOutput(weights);

    /// <summary>Weights keyed by output name.</summary>
    [return: NotNullIfNotNull(nameof(weights))]
    public static implicit operator SampleWeights?(Dictionary<string, Tensor>? weights) => weights is null ? null : PerOutput(weights);
}
