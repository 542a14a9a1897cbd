namespace Praxis;

/// <summary>Where a tensor's elements live. Only the CPU exists today; the enum is the seam for a GPU backend.</summary>
public enum Device
{
    /// <summary>Host memory, computed by the managed SIMD kernels.</summary>
    Cpu,
}

/// <summary>
/// The flat element buffer behind one or more tensors (views share storage). Device-neutral: kernels ask for a span
/// only on the CPU; a future GPU storage would hold a device pointer instead.
/// </summary>
public abstract class Storage
{
    /// <summary>The device holding the elements.</summary>
    public abstract Device Device { get; }

    /// <summary>Number of float32 elements.</summary>
    public abstract int Length { get; }

    /// <summary>A span over elements [offset, offset+length) in host memory.</summary>
    public abstract Span<float> GetSpan(int offset, int length);

    /// <summary>Copies elements [offset, offset + destination.Length) into <paramref name="destination"/>.</summary>
    public virtual void CopyTo(int offset, Span<float> destination) => GetSpan(offset, destination.Length).CopyTo(destination);

    /// <summary>Index (relative to <paramref name="offset"/>) of the first NaN or infinity in the range, or −1.</summary>
    public virtual int IndexOfNonFinite(int offset, int length)
    {
        var s = GetSpan(offset, length);
        for (int i = 0; i < s.Length; i++)
            if (!float.IsFinite(s[i])) return i;
        return -1;
    }
}

/// <summary>Host storage: a managed float array.</summary>
public sealed class CpuStorage : Storage
{
    /// <summary>Wraps <paramref name="data"/> without copying.</summary>
    public CpuStorage(float[] data) => Data = data;

    /// <summary>The elements.</summary>
    public float[] Data { get; }

    /// <inheritdoc />
    public override Device Device => Device.Cpu;

    /// <inheritdoc />
    public override int Length => Data.Length;

    /// <inheritdoc />
    public override Span<float> GetSpan(int offset, int length) => Data.AsSpan(offset, length);
}

/// <summary>
/// Host storage of unsigned bytes read as floats times a scale (e.g. pixels × 1/255): a quarter of the memory of float
/// storage for image datasets. Batches are converted as they are copied out (<see cref="CopyTo"/>), which is how
/// <c>Fit</c>, <c>Evaluate</c> and <c>Predict</c> read data. Asking for a writable span converts the whole buffer to
/// floats once (and from then on the storage behaves as float storage).
/// </summary>
public sealed class ScaledByteStorage : Storage
{
    private byte[]? _bytes;
    private float[]? _floats;
    private readonly object _lock = new();

    /// <summary>Wraps <paramref name="bytes"/> (not copied); element i reads as bytes[i] · <paramref name="scale"/>.</summary>
    public ScaledByteStorage(byte[] bytes, float scale)
    {
        _bytes = bytes;
        Scale = scale;
        Length = bytes.Length;
    }

    /// <summary>The factor applied to every byte.</summary>
    public float Scale { get; }

    /// <summary>True while the elements are still held as bytes.</summary>
    public bool IsCompact => Volatile.Read(ref _floats) == null;

    /// <inheritdoc />
    public override Device Device => Device.Cpu;

    /// <inheritdoc />
    public override int Length { get; }

    /// <inheritdoc />
    public override Span<float> GetSpan(int offset, int length)
    {
        if (Volatile.Read(ref _floats) is { } f) return f.AsSpan(offset, length);
        lock (_lock)
        {
            if (_floats == null)
            {
                var floats = new float[Length];
                Convert(_bytes!, floats, Scale);
                Volatile.Write(ref _floats, floats);
                _bytes = null;
            }
        }
        return _floats.AsSpan(offset, length);
    }

    /// <inheritdoc />
    public override void CopyTo(int offset, Span<float> destination)
    {
        if (Volatile.Read(ref _floats) is { } f) { f.AsSpan(offset, destination.Length).CopyTo(destination); return; }
        var bytes = _bytes;
        if (bytes == null) { GetSpan(offset, destination.Length).CopyTo(destination); return; }
        Convert(bytes.AsSpan(offset, destination.Length), destination, Scale);
    }

    /// <inheritdoc />
    public override int IndexOfNonFinite(int offset, int length) =>
        IsCompact && float.IsFinite(Scale) ? -1 : base.IndexOfNonFinite(offset, length);

    private static void Convert(ReadOnlySpan<byte> source, Span<float> destination, float scale)
    {
        System.Numerics.Tensors.TensorPrimitives.ConvertTruncating<byte, float>(source, destination);
        System.Numerics.Tensors.TensorPrimitives.Multiply(destination, scale, destination);
    }
}
