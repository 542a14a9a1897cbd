using System.Globalization;
using System.Text;
using Praxis.Autograd;

namespace Praxis;

/// <summary>
/// A float32 tensor: contiguous row-major elements in a <see cref="Praxis.Storage"/> (shared by views), a
/// <see cref="Praxis.Shape"/>, and the autograd state (<see cref="RequiresGrad"/>, <see cref="Grad"/>, the op that
/// produced it). Differentiable operations are defined in <c>src/Praxis/Ops</c>, one concept a file, each with its
/// forward and backward side by side.
/// </summary>
public sealed partial class Tensor
{
    private bool _requiresGrad;

    /// <summary>Creates a tensor over existing storage (a view when the storage is shared).</summary>
    public Tensor(Shape shape, Storage storage, int offset = 0)
    {
        if (!shape.IsFullyDefined) throw new ArgumentException($"A concrete tensor needs a fully defined shape; got {shape}.");
        int size = shape.Size;
        if (offset < 0 || offset + size > storage.Length)
            throw new ArgumentException($"Shape {shape} at offset {offset} does not fit in storage of {storage.Length} elements.");
        Shape = shape;
        Storage = storage;
        Offset = offset;
        Size = size;
    }

    /// <summary>Creates a zero-filled tensor.</summary>
    public Tensor(Shape shape) : this(shape, new CpuStorage(new float[shape.Size])) { }

    /// <summary>The dimensions.</summary>
    public Shape Shape { get; }

    /// <summary>The number of dimensions.</summary>
    public int Rank => Shape.Rank;

    /// <summary>The number of elements.</summary>
    public int Size { get; }

    /// <summary>The storage holding the elements (shared with views).</summary>
    public Storage Storage { get; }

    /// <summary>Index of the first element in <see cref="Storage"/>.</summary>
    public int Offset { get; }

    /// <summary>The device holding the elements.</summary>
    public Device Device => Storage.Device;

    /// <summary>The elements in row-major order, writable (host memory only).</summary>
    public Span<float> Span => Storage.GetSpan(Offset, Size);

    /// <summary>An optional name, used in error messages and by layers for their weights (e.g. <c>dense/kernel</c>).</summary>
    public string? Name { get; set; }

    /// <summary>
    /// Whether gradients flow to this tensor. Set it on leaves (parameters, inputs you differentiate by);
    /// results of operations on such tensors require grad automatically.
    /// </summary>
    public bool RequiresGrad
    {
        get => _requiresGrad;
        set
        {
            if (!value && GradFn != null) throw new InvalidOperationException("Only leaf tensors can stop requiring grad; use Detach() for a non-leaf.");
            _requiresGrad = value;
        }
    }

    /// <summary>The accumulated gradient of the last <see cref="Backward"/> with respect to this tensor, or null.</summary>
    public Tensor? Grad { get; set; }

    /// <summary>The operation that produced this tensor when it is part of a differentiable graph; null for leaves.</summary>
    public Op? GradFn { get; internal set; }

    /// <summary>True when the tensor was not produced by a recorded operation (parameters, inputs, constants).</summary>
    public bool IsLeaf => GradFn == null;

    /// <summary>
    /// For the output of a softmax (last axis) or sigmoid: the logits it was computed from. Losses use them to compute
    /// cross-entropy from logits, stably, as Keras does when the last activation is softmax or sigmoid.
    /// </summary>
    internal Tensor? Logits { get; set; }

    /// <summary>Which op made this tensor from <see cref="Logits"/> (set by the op itself, never from a name).</summary>
    internal LogitsKind LogitsActivation { get; set; }

    /// <summary>
    /// The Keras mask carried by this tensor (Keras' <c>_keras_mask</c>): for a sequence batch (batch, time, …) a
    /// (batch, time) tensor of 1 for real steps and 0 for padding. <c>Embedding(maskZero: true)</c> attaches it;
    /// layers that support masking (recurrent layers, attention) read it, and layers that only transform features
    /// pass it on. It is always computed by ops, so a recorded step recomputes it for every new batch.
    /// </summary>
    public Tensor? Mask { get; set; }

    // ----------------------------------------------------------------- factories

    /// <summary>A zero-filled tensor.</summary>
    public static Tensor Zeros(params int[] shape) => new(new Shape(shape));

    /// <summary>A zero-filled tensor of a given shape.</summary>
    public static Tensor Zeros(Shape shape) => new(shape);

    /// <summary>A tensor filled with ones.</summary>
    public static Tensor Ones(params int[] shape) => Full(1f, shape);

    /// <summary>A tensor filled with <paramref name="value"/>.</summary>
    public static Tensor Full(float value, params int[] shape)
    {
        var t = new Tensor(new Shape(shape));
        t.Span.Fill(value);
        return t;
    }

    /// <summary>A rank-0 tensor holding one value.</summary>
    public static Tensor Scalar(float value)
    {
        var t = new Tensor(new Shape());
        t.Span[0] = value;
        return t;
    }

    /// <summary>A tensor holding a copy of <paramref name="data"/> with the given shape (rank 1 when no shape is given).</summary>
    public static Tensor FromArray(float[] data, params int[] shape)
    {
        var s = shape.Length == 0 ? new Shape(data.Length) : new Shape(shape);
        if (s.Size != data.Length) throw new ShapeMismatchException($"FromArray: {data.Length} values do not fill shape {s} ({s.Size} elements).");
        return new Tensor(s, new CpuStorage((float[])data.Clone()));
    }

    /// <summary>A tensor from a 2-D array (copied).</summary>
    public static Tensor FromArray(float[,] data)
    {
        int r = data.GetLength(0), c = data.GetLength(1);
        var t = new Tensor(new Shape(r, c));
        var s = t.Span;
        for (int i = 0; i < r; i++)
            for (int j = 0; j < c; j++) s[i * c + j] = data[i, j];
        return t;
    }

    /// <summary>Wraps <paramref name="data"/> without copying: changes to either are visible in both.</summary>
    public static Tensor Wrap(float[] data, params int[] shape) =>
        new(shape.Length == 0 ? new Shape(data.Length) : new Shape(shape), new CpuStorage(data));

    /// <summary>Values 0, 1, …, n-1.</summary>
    public static Tensor Arange(int n)
    {
        var t = new Tensor(new Shape(n));
        var s = t.Span;
        for (int i = 0; i < n; i++) s[i] = i;
        return t;
    }

    // ----------------------------------------------------------------- element access

    /// <summary>The single value of a one-element tensor (PyTorch's <c>item()</c>).</summary>
    public float Item()
    {
        if (Size != 1) throw new InvalidOperationException($"Item() needs a tensor with one element; this one has shape {Shape}.");
        return Span[0];
    }

    /// <summary>Element at a full index (slow; for tests and inspection).</summary>
    [System.Runtime.CompilerServices.IndexerName("At")]
    public float this[params int[] index]
    {
        get => Span[FlatIndex(index)];
        set => Span[FlatIndex(index)] = value;
    }

    private int FlatIndex(int[] index)
    {
        if (index.Length != Rank) throw new ArgumentException($"Index of rank {index.Length} for a tensor of shape {Shape}.");
        int flat = 0;
        for (int i = 0; i < index.Length; i++)
        {
            int d = Shape[i];
            int ix = index[i] < 0 ? index[i] + d : index[i];
            if (ix < 0 || ix >= d) throw new IndexOutOfRangeException($"Index {index[i]} out of range for dimension {i} of shape {Shape}.");
            flat = flat * d + ix;
        }
        return flat;
    }

    /// <summary>A copy of the elements in row-major order.</summary>
    public float[] ToArray() => Span.ToArray();

    /// <summary>A new tensor with a copy of the elements, outside any graph.</summary>
    public Tensor Clone()
    {
        var t = new Tensor(Shape);
        Span.CopyTo(t.Span);
        return t;
    }

    /// <summary>A tensor sharing this one's elements but cut from the graph (no grad).</summary>
    public Tensor Detach() => new(Shape, Storage, Offset);

    /// <summary>Copies elements from a tensor of the same size (in place, not recorded by autograd).</summary>
    public void CopyFrom(Tensor source)
    {
        if (source.Size != Size) throw new ShapeMismatchException($"CopyFrom: source shape {source.Shape} does not match {Shape}.");
        source.Span.CopyTo(Span);
    }

    /// <summary>Sets every element to zero (in place).</summary>
    public void Zero() => Span.Clear();

    /// <summary>Sets every element to <paramref name="value"/> (in place).</summary>
    public void Fill(float value) => Span.Fill(value);

    /// <summary>
    /// A view of rows [start, start+count) along the first axis, sharing storage (not recorded by autograd; use it for
    /// data, e.g. batches of a dataset).
    /// </summary>
    public Tensor SliceRows(int start, int count)
    {
        if (Rank == 0) throw new InvalidOperationException("SliceRows needs a tensor of rank >= 1.");
        int n = Shape[0];
        if (start < 0 || count < 0 || start + count > n)
            throw new ArgumentOutOfRangeException(nameof(start), $"Rows [{start}, {start + count}) are out of range for shape {Shape}.");
        int row = n == 0 ? 0 : Size / n;
        return new Tensor(Shape.With(0, count), Storage, Offset + start * row);
    }

    /// <summary>Computes gradients of this tensor (a scalar, or with an explicit output gradient) with respect to every tensor that requires grad.</summary>
    public void Backward(Tensor? gradient = null) => Engine.Backward(this, gradient);

    /// <summary>Throws <see cref="ArgumentException"/> naming <paramref name="what"/> when any element is NaN or infinite.</summary>
    public void EnsureFinite(string what)
    {
        int i = Storage.IndexOfNonFinite(Offset, Size);
        if (i >= 0)
            throw new ArgumentException($"{what} contains {(float.IsNaN(Span[i]) ? "NaN" : "an infinite value")} at flat index {i} (shape {Shape}).");
    }

    /// <summary>Copies elements [start, start + destination.Length) into <paramref name="destination"/> (reads compact storage without expanding it).</summary>
    public void CopyTo(Span<float> destination, int start = 0)
    {
        if (start < 0 || start + destination.Length > Size)
            throw new ArgumentOutOfRangeException(nameof(start), $"Elements [{start}, {start + destination.Length}) are out of range for shape {Shape}.");
        Storage.CopyTo(Offset + start, destination);
    }

    /// <summary>A short description with shape and leading values, like PyTorch's repr.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder("Tensor(shape=").Append(Shape.ToString()).Append(", [");
        var s = Span;
        int n = Math.Min(s.Length, 8);
        for (int i = 0; i < n; i++)
        {
            if (i > 0) sb.Append(", ");
            sb.Append(s[i].ToString("G6", CultureInfo.InvariantCulture));
        }
        if (s.Length > n) sb.Append(", ...");
        sb.Append(']');
        if (RequiresGrad) sb.Append(", requires_grad");
        return sb.Append(')').ToString();
    }
}

public sealed partial class Tensor
{
    /// <summary>
    /// Enters a scope in which results are not connected to the autograd graph (like <c>torch.no_grad()</c>):
    /// <c>using (Tensor.NoGrad()) { ... }</c>.
    /// </summary>
    public static NoGradScope NoGrad() => new(true);
}

/// <summary>The activation whose logits a tensor remembers: the loss-from-logits shortcut is typed, not matched by name.</summary>
internal enum LogitsKind
{
    /// <summary>No logits recorded.</summary>
    None,

    /// <summary>Made by the softmax op over the last axis.</summary>
    Softmax,

    /// <summary>Made by the sigmoid op.</summary>
    Sigmoid,
}
