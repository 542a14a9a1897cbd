using System.Text;

namespace Praxis;

/// <summary>
/// The dimensions of a tensor, outermost first (row-major). A dimension of -1 means "unknown" and is used only by
/// symbolic tensors of the functional API (the batch dimension, printed as <c>None</c> as Keras does).
/// </summary>
public readonly struct Shape : IEquatable<Shape>
{
    private readonly int[]? _dims;

    /// <summary>Creates a shape from its dimensions (copied).</summary>
    public Shape(params int[] dims) : this((ReadOnlySpan<int>)dims) { }

    /// <summary>Creates a shape from its dimensions (copied).</summary>
    public Shape(ReadOnlySpan<int> dims)
    {
        foreach (int d in dims)
            if (d < -1) throw new ArgumentException($"Shape dimensions must be >= 0 (or -1 for unknown); got {Format(dims)}.");
        _dims = dims.ToArray();
    }

    /// <summary>The number of dimensions.</summary>
    public int Rank => _dims?.Length ?? 0;

    /// <summary>The dimensions as a read-only span.</summary>
    public ReadOnlySpan<int> Dims => _dims;

    /// <summary>Dimension <paramref name="axis"/>; negative axes count from the end.</summary>
    public int this[int axis] => _dims![NormalizeAxis(axis)];

    /// <summary>True when no dimension is unknown (-1).</summary>
    public bool IsFullyDefined => Array.IndexOf(_dims ?? [], -1) < 0;

    /// <summary>The number of elements (product of dimensions; 1 for a scalar).</summary>
    public int Size
    {
        get
        {
            long size = 1;
            foreach (int d in Dims)
            {
                if (d < 0) throw new InvalidOperationException($"Shape {this} has an unknown dimension and no size.");
                size *= d;
                if (size > int.MaxValue) throw new InvalidOperationException($"Shape {this} has more than {int.MaxValue} elements.");
            }
            return (int)size;
        }
    }

    /// <summary>Maps a possibly negative axis to 0..Rank-1, with a clear error when out of range.</summary>
    public int NormalizeAxis(int axis)
    {
        int r = Rank;
        int a = axis < 0 ? axis + r : axis;
        if (a < 0 || a >= r) throw new ArgumentOutOfRangeException(nameof(axis), $"Axis {axis} is out of range for shape {this} (rank {r}).");
        return a;
    }

    /// <summary>A copy of the dimensions.</summary>
    public int[] ToArray() => Dims.ToArray();

    /// <summary>Product of dimensions in [start, end).</summary>
    public int SizeOf(int start, int end)
    {
        int s = 1;
        for (int i = start; i < end; i++) s *= _dims![i];
        return s;
    }

    /// <summary>A new shape with dimension <paramref name="axis"/> replaced.</summary>
    public Shape With(int axis, int value)
    {
        var d = ToArray();
        d[NormalizeAxis(axis)] = value;
        return new Shape(d);
    }

    /// <summary>The shape without its first dimension (e.g. the per-sample shape of a batch).</summary>
    public Shape DropFirst() => new(Dims[1..]);

    /// <summary>A new shape with <paramref name="first"/> prepended (e.g. a batch dimension).</summary>
    public Shape Prepend(int first)
    {
        var d = new int[Rank + 1];
        d[0] = first;
        Dims.CopyTo(d.AsSpan(1));
        return new Shape(d);
    }

    /// <summary>
    /// The NumPy broadcast of two shapes: dimensions are aligned from the right and must be equal or 1.
    /// Throws <see cref="ShapeMismatchException"/> naming both shapes when they do not broadcast.
    /// </summary>
    public static Shape Broadcast(Shape a, Shape b, string op = "broadcast")
    {
        int r = Math.Max(a.Rank, b.Rank);
        var d = new int[r];
        for (int i = 0; i < r; i++)
        {
            int da = i < r - a.Rank ? 1 : a._dims![i - (r - a.Rank)];
            int db = i < r - b.Rank ? 1 : b._dims![i - (r - b.Rank)];
            if (da == db || db == 1) d[i] = da;
            else if (da == 1) d[i] = db;
            else throw new ShapeMismatchException($"{op}: shapes {a} and {b} cannot be broadcast together (dimension {i} of the result: {da} vs {db}).");
        }
        return new Shape(d);
    }

    /// <inheritdoc />
    public bool Equals(Shape other) => Dims.SequenceEqual(other.Dims);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is Shape s && Equals(s);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var h = new HashCode();
        foreach (int d in Dims) h.Add(d);
        return h.ToHashCode();
    }

    /// <summary>Value equality.</summary>
    public static bool operator ==(Shape a, Shape b) => a.Equals(b);

    /// <summary>Value inequality.</summary>
    public static bool operator !=(Shape a, Shape b) => !a.Equals(b);

    /// <summary>Implicit conversion from an array of dimensions.</summary>
    public static implicit operator Shape(int[] dims) => new(dims);

    /// <summary>Formats as Python does: <c>(32, 784)</c>, <c>(None, 10)</c>, <c>(5,)</c>, <c>()</c>.</summary>
    public override string ToString() => Format(Dims);

    internal static string Format(ReadOnlySpan<int> dims)
    {
        var sb = new StringBuilder("(");
        for (int i = 0; i < dims.Length; i++)
        {
            if (i > 0) sb.Append(", ");
            sb.Append(dims[i] < 0 ? "None" : dims[i].ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        if (dims.Length == 1) sb.Append(',');
        return sb.Append(')').ToString();
    }
}

/// <summary>Thrown when tensor shapes do not fit an operation; the message names the shapes involved.</summary>
public class ShapeMismatchException : ArgumentException
{
    /// <summary>Creates the exception with a message that names the shapes.</summary>
    public ShapeMismatchException(string message) : base(message) { }
}
