using Praxis.Data;

namespace Praxis.Tests.Data;

/// <summary>
/// A test that reads the real Fashion-MNIST as Debian's <c>dataset-fashion-mnist</c> installs it (re-compressed gzip
/// files in <c>/usr/share/datasets/fashion-mnist</c>). Skipped, with the reason, when the package is not installed;
/// CI installs it and sets <c>PRAXIS_REQUIRE_FASHION_MNIST=1</c>, so there a missing copy fails instead.
/// </summary>
public sealed class DebianFashionMnistFactAttribute : FactAttribute
{
    /// <summary>Sets <see cref="FactAttribute.Skip"/> when the copy is missing and CI did not require it.</summary>
    public DebianFashionMnistFactAttribute()
    {
        if (DebianFashionMnist.Directory == null && Environment.GetEnvironmentVariable("PRAXIS_REQUIRE_FASHION_MNIST") != "1")
            Skip = "Debian's Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist puts it in /usr/share/datasets/fashion-mnist); .ci/run installs it.";
    }
}

/// <summary>Where Debian's copy is: the first complete system copy the manifest finds.</summary>
public static class DebianFashionMnist
{
    /// <summary>The folder, or null when not installed.</summary>
    public static string? Directory { get; } =
        FashionMnist.Manifest.Copies().FirstOrDefault(c => c.Kind == "system")?.Directory;

    /// <summary>The folder, or an error that says how to install it (for tests that CI requires).</summary>
    public static string Require() => Directory ?? throw new InvalidOperationException(
        "PRAXIS_REQUIRE_FASHION_MNIST=1 but Debian's Fashion-MNIST is not installed: apt-get install dataset-fashion-mnist.");
}
