using System.Buffers.Binary;
using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;
using Praxis.Kernels;

namespace Praxis.IO;

/// <summary>
/// A safetensors file mapped into memory rather than read: the header is parsed and validated exactly as by
/// <see cref="SafeTensorsFile.Read(string)"/>, and each tensor is converted straight from the mapped pages into the
/// caller's float32 buffer (<see cref="CopyTo"/>), so loading a checkpoint needs no second full copy of the file in
/// memory (the OS pages it in and may drop the pages again). Dispose to unmap.
/// </summary>
public sealed unsafe class MappedSafeTensors : IDisposable
{
    private readonly MemoryMappedFile _map;
    private readonly MemoryMappedViewAccessor _view;
    private readonly byte* _base;
    private readonly long _dataStart;
    private readonly Dictionary<string, SafeTensorsFile.Entry> _byName;
    private bool _disposed;

    private MappedSafeTensors(string path, MemoryMappedFile map, MemoryMappedViewAccessor view, long dataStart,
        Dictionary<string, string> metadata, List<SafeTensorsFile.Entry> entries)
    {
        Source = path; _map = map; _view = view; _dataStart = dataStart;
        Metadata = metadata;
        _byName = new Dictionary<string, SafeTensorsFile.Entry>(entries.Count, StringComparer.Ordinal);
        var names = new List<string>(entries.Count);
        foreach (var e in entries) { _byName[e.Name] = e; names.Add(e.Name); }
        Names = names;
        byte* p = null;
        _view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
        _base = p + _view.PointerOffset;
    }

    /// <summary>The file's path (used in error messages).</summary>
    public string Source { get; }

    /// <summary>The <c>__metadata__</c> map (empty when absent).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The tensor names in data order.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>Maps and validates a file (the data itself is not read until <see cref="CopyTo"/>).</summary>
    public static MappedSafeTensors Open(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file.", path);
        long length = new FileInfo(path).Length;
        if (length < 8) throw new InvalidDataException($"{path}: the file is {length} bytes; a safetensors file starts with an 8-byte header length.");
        var map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        try
        {
            Dictionary<string, string> metadata;
            List<SafeTensorsFile.Entry> entries;
            long dataStart;
            using (var header = map.CreateViewStream(0, 0, MemoryMappedFileAccess.Read))
            {
                (_, var h, metadata, entries) = SafeTensorsFile.ReadHeader(header, length, path);
                dataStart = 8 + h.Length;
            }
            if (metadata.TryGetValue("format", out var f) && f.StartsWith("praxis.", StringComparison.Ordinal))
                throw new InvalidDataException($"{path}: a Praxis model file; load it with Model.Load (which verifies its checksum), not as a mapped checkpoint.");
            var view = map.CreateViewAccessor(0, length, MemoryMappedFileAccess.Read);
            return new MappedSafeTensors(path, map, view, dataStart, metadata, entries);
        }
        catch
        {
            map.Dispose();
            throw;
        }
    }

    /// <summary>Whether the file holds a tensor of this name.</summary>
    public bool Contains(string name) => _byName.ContainsKey(name);

    /// <summary>The dtype string of a tensor (<c>F32</c>, <c>F16</c>, …).</summary>
    public string DType(string name) => Get(name).DType;

    /// <summary>The shape of a tensor.</summary>
    public int[] Shape(string name) => (int[])Get(name).Shape.Clone();

    /// <summary>The raw bytes of a tensor, valid until disposal.</summary>
    public ReadOnlySpan<byte> Bytes(string name)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var e = Get(name);
        return new ReadOnlySpan<byte>(_base + _dataStart + e.Begin, checked((int)(e.End - e.Begin)));
    }

    /// <summary>
    /// Converts a floating-point tensor (F32, F16, BF16 or F64) into <paramref name="destination"/>, which must hold
    /// exactly its element count; any other dtype or size raises an error naming the file and the tensor.
    /// </summary>
    public void CopyTo(string name, Span<float> destination)
    {
        var e = Get(name);
        var src = Bytes(name);
        int size = SafeTensorsFile.DTypeSize(e.DType);
        long count = src.Length / size;
        if (count != destination.Length)
            throw new ArgumentException($"{Source}: tensor '{name}' has {count} elements; the destination holds {destination.Length}.");
        switch (e.DType)
        {
            case "F32" when BitConverter.IsLittleEndian && destination.Length >= ParallelCopyElements && KernelPool.MaxParallelism > 1:
                // Big tensors are copied by every core at once: the time goes to page faults (the file's pages and the
                // fresh destination's), which run in parallel.
                fixed (float* dst = destination)
                {
                    var body = new CopyBody { Source = (float*)(_base + _dataStart + e.Begin), Destination = dst, Count = destination.Length };
                    KernelPool.For((destination.Length + CopyChunk - 1) / CopyChunk, ref body);
                }
                break;
            case "F32":
                if (BitConverter.IsLittleEndian) MemoryMarshal.Cast<byte, float>(src).CopyTo(destination);
                else for (int i = 0; i < destination.Length; i++) destination[i] = BinaryPrimitives.ReadSingleLittleEndian(src[(4 * i)..]);
                break;
            case "F16":
                if (BitConverter.IsLittleEndian) System.Numerics.Tensors.TensorPrimitives.ConvertToSingle(MemoryMarshal.Cast<byte, Half>(src), destination);
                else for (int i = 0; i < destination.Length; i++) destination[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(src[(2 * i)..]);
                break;
            case "BF16":
                for (int i = 0; i < destination.Length; i++) destination[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(src[(2 * i)..]) << 16);
                break;
            case "F64":
                for (int i = 0; i < destination.Length; i++) destination[i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(src[(8 * i)..]);
                break;
            default:
                throw new InvalidDataException($"{Source}: tensor '{name}' has dtype {e.DType}; weights must be floating point (F32, F16, BF16 or F64).");
        }
    }

    private const int ParallelCopyElements = 1 << 18, CopyChunk = 1 << 16;

    private struct CopyBody : IParallelBody
    {
        public float* Source, Destination;
        public int Count;

        public readonly void Invoke(int chunk)
        {
            int start = chunk * CopyChunk, n = Math.Min(CopyChunk, Count - start);
            new ReadOnlySpan<float>(Source + start, n).CopyTo(new Span<float>(Destination + start, n));
        }
    }

    private SafeTensorsFile.Entry Get(string name) =>
        _byName.TryGetValue(name, out var e) ? e : throw new KeyNotFoundException($"{Source}: no tensor named '{name}'.");

    /// <summary>Unmaps the file.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _map.Dispose();
    }
}
