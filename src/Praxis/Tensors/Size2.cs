using System.Globalization;

namespace Praxis;

/// <summary>
/// A (height, width) pair for 2-D layer arguments such as <c>kernel_size</c>, <c>strides</c>, <c>pool_size</c>: Keras
/// accepts an int (used for both) or a tuple, and so does this type: <c>kernelSize: 3</c> or <c>kernelSize: (3, 5)</c>.
/// </summary>
/// <param name="Height">The size along the height (rows) axis.</param>
/// <param name="Width">The size along the width (columns) axis.</param>
public readonly record struct Size2(int Height, int Width)
{
    /// <summary>The same value for both axes.</summary>
    public static implicit operator Size2(int both) => new(both, both);

    /// <summary>From a (height, width) tuple.</summary>
    public static implicit operator Size2((int Height, int Width) hw) => new(hw.Height, hw.Width);

    /// <summary>Both values as an array, the form Keras configs store.</summary>
    public int[] ToArray() => [Height, Width];

    /// <summary>Throws when either value is not positive, naming <paramref name="what"/>.</summary>
    internal Size2 RequirePositive(string what)
    {
        if (Height <= 0 || Width <= 0) throw new ArgumentOutOfRangeException(what, $"{what} must be positive; got {this}.");
        return this;
    }

    /// <summary>Formats as Python does: <c>(3, 3)</c>.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"({Height}, {Width})");
}
