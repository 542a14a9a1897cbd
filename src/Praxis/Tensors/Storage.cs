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
