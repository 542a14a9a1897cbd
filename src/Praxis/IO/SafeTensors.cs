using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Praxis.IO;

/// <summary>
/// One tensor read from a safetensors file: its name, dtype (<c>F32</c>, <c>F16</c>, <c>I64</c>, …), shape and raw
/// little-endian bytes. <see cref="ToFloat32"/> converts floating-point dtypes to Praxis' float32.
/// </summary>
public sealed class SafeTensor
{
    private readonly byte[] _data;
    private readonly string _source;

    internal SafeTensor(string source, string name, string dtype, int[] shape, byte[] data)
    {
        _source = source; Name = name; DType = dtype; Shape = shape; _data = data;
    }

    /// <summary>The tensor's key in the header.</summary>
    public string Name { get; }

    /// <summary>The safetensors dtype string, e.g. <c>F32</c>.</summary>
    public string DType { get; }

    /// <summary>The dimensions.</summary>
    public int[] Shape { get; }

    /// <summary>The raw little-endian element bytes.</summary>
    public ReadOnlySpan<byte> Bytes => _data;

    /// <summary>The number of elements.</summary>
    public long ElementCount => _data.Length / SafeTensorsFile.DTypeSize(DType);

    /// <summary>
    /// The values as float32. F32 is copied, F16, BF16 and F64 are converted; any other dtype raises
    /// <see cref="InvalidDataException"/> naming the file, the tensor and its dtype.
    /// </summary>
    public float[] ToFloat32()
    {
        switch (DType)
        {
            case "F32":
            {
                var r = new float[_data.Length / 4];
                if (BitConverter.IsLittleEndian) MemoryMarshal.Cast<byte, float>(_data).CopyTo(r);
                else for (int i = 0; i < r.Length; i++) r[i] = BinaryPrimitives.ReadSingleLittleEndian(_data.AsSpan(4 * i));
                return r;
            }
            case "F16":
            {
                var r = new float[_data.Length / 2];
                for (int i = 0; i < r.Length; i++) r[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(_data.AsSpan(2 * i));
                return r;
            }
            case "BF16":
            {
                var r = new float[_data.Length / 2];
                for (int i = 0; i < r.Length; i++) r[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(_data.AsSpan(2 * i)) << 16);
                return r;
            }
            case "F64":
            {
                var r = new float[_data.Length / 8];
                for (int i = 0; i < r.Length; i++) r[i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(_data.AsSpan(8 * i));
                return r;
            }
            default:
                throw new InvalidDataException($"{_source}: tensor '{Name}' has dtype {DType}; weights must be floating point (F32, F16, BF16 or F64).");
        }
    }

    /// <inheritdoc />
    public override string ToString() => $"{Name}: {DType} [{string.Join(", ", Shape)}]";
}

/// <summary>
/// A safetensors file, read with every structural rule checked: the public format is an 8-byte little-endian header
/// length N, N bytes of UTF-8 JSON mapping each tensor name to <c>{"dtype", "shape", "data_offsets": [begin, end]}</c>
/// (plus an optional <c>"__metadata__"</c> map of strings), then the raw little-endian data, every byte of which
/// belongs to exactly one tensor.
/// </summary>
/// <remarks>
/// Safe for files from strangers: nothing in the file names a type or code; the header is capped at
/// <see cref="MaxHeaderBytes"/> and its JSON nesting depth at 16; every offset, length, shape and element count is
/// checked against the file size with overflow-safe arithmetic before anything is allocated; a malformed file raises
/// <see cref="InvalidDataException"/> whose message starts with the file name and says what is wrong. When the
/// metadata holds a <c>checksum_sha256</c> (Praxis always writes one), the SHA-256 of the whole file, taken with that
/// value replaced by 64 zeros, must match it; a file whose <c>format</c> metadata starts with <c>praxis.</c> must
/// carry one. The checksum detects corruption (truncation, flipped bits), not tampering.
/// </remarks>
public sealed class SafeTensorsFile
{
    /// <summary>The largest header accepted (100 MB, the limit of the reference implementation).</summary>
    public const int MaxHeaderBytes = 100_000_000;

    /// <summary>
    /// The largest <c>__metadata__</c> accepted, counted as the UTF-8 bytes of its keys and values as written (16 MiB;
    /// a model's architecture and compile settings take kilobytes). Checked by a scan that allocates nothing, before
    /// any string is made, so an oversized value costs only the header buffer.
    /// </summary>
    public const int MaxMetadataBytes = 16 << 20;

    /// <summary>The metadata key holding the SHA-256 checksum (64 lowercase hex digits).</summary>
    public const string ChecksumKey = "checksum_sha256";

    private const string MetadataKey = "__metadata__";
    private readonly Dictionary<string, SafeTensor> _byName;

    private SafeTensorsFile(string source, Dictionary<string, string> metadata, List<SafeTensor> tensors, bool checksumVerified)
    {
        Source = source;
        Metadata = metadata;
        Tensors = tensors;
        ChecksumVerified = checksumVerified;
        _byName = new Dictionary<string, SafeTensor>(tensors.Count, StringComparer.Ordinal);
        foreach (var t in tensors) _byName[t.Name] = t;
    }

    /// <summary>Where the bytes came from (the path), used in error messages.</summary>
    public string Source { get; }

    /// <summary>The <c>__metadata__</c> map (empty when absent).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The tensors in data order.</summary>
    public IReadOnlyList<SafeTensor> Tensors { get; }

    /// <summary>True when the file carried a checksum and it matched.</summary>
    public bool ChecksumVerified { get; }

    /// <summary>The tensor with this name, or null.</summary>
    public SafeTensor? Find(string name) => _byName.GetValueOrDefault(name);

    /// <summary>Bytes per element of a dtype; 0 for an unknown dtype.</summary>
    public static int DTypeSize(string dtype) => dtype switch
    {
        "BOOL" or "U8" or "I8" or "F8_E5M2" or "F8_E4M3" => 1,
        "I16" or "U16" or "F16" or "BF16" => 2,
        "I32" or "U32" or "F32" => 4,
        "I64" or "U64" or "F64" => 8,
        _ => 0,
    };

    /// <summary>Reads and validates a file.</summary>
    public static SafeTensorsFile Read(string path)
    {
        FileStream fs;
        if (Directory.Exists(path)) throw new IOException($"{path}: is a directory, not a safetensors/model file; give the path of the file itself.");
        try { fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16); }
        catch (FileNotFoundException) { throw new FileNotFoundException($"{path}: no such file.", path); }
        using (fs) return Read(fs, fs.Length, path, verifyChecksum: true);
    }

    /// <summary>Reads and validates bytes already in memory; <paramref name="source"/> names them in errors.</summary>
    public static SafeTensorsFile Read(byte[] bytes, string source = "<memory>")
    {
        using var ms = new MemoryStream(bytes, writable: false);
        return Read(ms, bytes.Length, source, verifyChecksum: true);
    }

    /// <summary>One tensor's entry in the header: data offsets are relative to the start of the data section.</summary>
    internal readonly record struct Entry(string Name, string DType, int[] Shape, long Begin, long End);

    /// <summary>
    /// Reads and validates the length field and the header, leaving <paramref name="stream"/> at the first data byte:
    /// every entry is checked and the data section must be covered exactly. Shared by <see cref="Read(string)"/> and
    /// <see cref="MappedSafeTensors"/>.
    /// </summary>
    internal static (byte[] LengthField, byte[] Header, Dictionary<string, string> Metadata, List<Entry> Entries) ReadHeader(Stream stream, long length, string source)
    {
        InvalidDataException Bad(string fault) => new($"{source}: {fault}");

        if (length < 8) throw Bad($"the file is {length} bytes; a safetensors file starts with an 8-byte header length.");
        var lenBytes = new byte[8];
        ReadExactly(stream, lenBytes, source);
        ulong headerLen = BinaryPrimitives.ReadUInt64LittleEndian(lenBytes);
        if (headerLen > MaxHeaderBytes)
            throw Bad($"the header length field says {headerLen} bytes, over the {MaxHeaderBytes}-byte limit (not a safetensors file, or corrupt).");
        if ((long)headerLen > length - 8)
            throw Bad($"the header length field says {headerLen} bytes but only {length - 8} bytes follow it (file truncated?).");
        if (headerLen < 2) throw Bad($"the header is {headerLen} bytes; it must be a JSON object.");
        var header = new byte[headerLen];
        ReadExactly(stream, header, source);
        if (header[0] != (byte)'{') throw Bad("the header does not start with '{'; it must be a JSON object.");
        if (!System.Text.Unicode.Utf8.IsValid(header)) throw Bad("the header is not valid UTF-8.");
        long dataLength = length - 8 - (long)headerLen;
        CheckMetadataSize(header, Bad);
        JsonEscapes.Check(header, f => Bad("the header's " + f + "."));

        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var entries = new List<Entry>();
        try
        {
            using var doc = JsonDocument.Parse(header, new JsonDocumentOptions { MaxDepth = 16 });
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw Bad("the header is not a JSON object.");
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var prop in doc.RootElement.EnumerateObject())
            {
                if (!seen.Add(prop.Name)) throw Bad($"the header names '{Clip(prop.Name)}' twice.");
                if (prop.Name == MetadataKey)
                {
                    if (prop.Value.ValueKind != JsonValueKind.Object) throw Bad("__metadata__ must be an object of strings.");
                    foreach (var m in prop.Value.EnumerateObject())
                    {
                        if (m.Value.ValueKind != JsonValueKind.String) throw Bad($"__metadata__ value '{Clip(m.Name)}' is {m.Value.ValueKind}; metadata values must be strings.");
                        if (!metadata.TryAdd(m.Name, m.Value.GetString()!)) throw Bad($"__metadata__ names '{Clip(m.Name)}' twice.");
                    }
                    continue;
                }
                var (en, ed, esh, eb, ee) = ParseEntry(prop, dataLength, Bad);
                entries.Add(new Entry(en, ed, esh, eb, ee));
            }
        }
        catch (JsonException e)
        {
            throw Bad($"the header is not valid JSON: {e.Message}");
        }

        // The data section must be covered exactly: sorted by offset, no gaps, no overlaps, nothing left over.
        entries.Sort((a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
        long expected = 0;
        foreach (var e in entries)
        {
            if (e.Begin != expected)
                throw Bad(e.Begin > expected
                    ? $"bytes {expected}..{e.Begin} of the data belong to no tensor (before '{Clip(e.Name)}')."
                    : $"tensor '{Clip(e.Name)}' at bytes {e.Begin}..{e.End} overlaps the previous tensor, which ends at {expected}.");
            expected = e.End;
        }
        if (expected != dataLength)
            throw Bad($"the header describes {expected} bytes of tensor data but {dataLength} bytes follow it.");

        return (lenBytes, header, metadata, entries);
    }

    /// <summary>The parser proper; <paramref name="verifyChecksum"/> false lets the fuzz test reach the structural checks behind it.</summary>
    internal static SafeTensorsFile Read(Stream stream, long length, string source, bool verifyChecksum)
    {
        InvalidDataException Bad(string fault) => new($"{source}: {fault}");
        var (lenBytes, header, metadata, entries) = ReadHeader(stream, length, source);

        // Checksum (when present) covers the length field, the header with the checksum zeroed, and the data. Files
        // that say Praxis wrote them must have one, so a flipped bit in the checksum's key cannot switch it off.
        IncrementalHash? hash = null;
        string? expectedSum = null;
        bool praxisFile = metadata.TryGetValue("format", out var fmt) && fmt.StartsWith("praxis.", StringComparison.Ordinal);
        if (verifyChecksum && praxisFile && !metadata.ContainsKey(ChecksumKey))
            throw Bad($"the file says it was written by Praxis ('{Clip(fmt!)}') but carries no {ChecksumKey}; it is corrupt.");
        if (metadata.TryGetValue(ChecksumKey, out var sum) && verifyChecksum)
        {
            expectedSum = sum;
            if (sum.Length != 64 || !sum.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f'))
                throw Bad($"{ChecksumKey} must be 64 lowercase hex digits; got '{Clip(sum)}'.");
            var needle = Encoding.UTF8.GetBytes($"\"{ChecksumKey}\":\"{sum}\"");
            int at = header.AsSpan().IndexOf(needle);
            if (at < 0 || header.AsSpan(at + 1).IndexOf(needle) >= 0)
                throw Bad($"{ChecksumKey} is not written in the form Praxis writes it, so it cannot be verified.");
            // Hash around the checksum's digits instead of cloning the header with them zeroed.
            int digits = at + needle.Length - 65;
            hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            hash.AppendData(lenBytes);
            hash.AppendData(header.AsSpan(0, digits));
            hash.AppendData("0000000000000000000000000000000000000000000000000000000000000000"u8);
            hash.AppendData(header.AsSpan(digits + 64));
        }

        var tensors = new List<SafeTensor>(entries.Count);
        foreach (var e in entries)
        {
            long n = e.End - e.Begin;
            if (n > Array.MaxLength) throw Bad($"tensor '{Clip(e.Name)}' is {n} bytes, more than one array can hold.");
            var data = new byte[n];
            ReadExactly(stream, data, source);
            hash?.AppendData(data);
            tensors.Add(new SafeTensor(source, e.Name, e.DType, e.Shape, data));
        }
        if (hash != null)
        {
            string actual = Convert.ToHexStringLower(hash.GetHashAndReset());
            hash.Dispose();
            if (actual != expectedSum)
                throw Bad($"checksum mismatch: the header says {expectedSum} but the content hashes to {actual}; the file is corrupt.");
        }
        return new SafeTensorsFile(source, metadata, tensors, hash != null);
    }

    /// <summary>
    /// Refuses a <c>__metadata__</c> over <see cref="MaxMetadataBytes"/> with a forward-only scan (no strings, no
    /// document), so a 50 MB value is refused before the copies that parsing it would make. Malformed JSON is left to
    /// the full parse, which reports it precisely.
    /// </summary>
    private static void CheckMetadataSize(ReadOnlySpan<byte> header, Func<string, InvalidDataException> bad)
    {
        var reader = new Utf8JsonReader(header, new JsonReaderOptions { MaxDepth = 16 });
        long total = 0;
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType != JsonTokenType.PropertyName || reader.CurrentDepth != 1 || !reader.ValueTextEquals("__metadata__"u8)) continue;
                if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) continue;
                int depth = reader.CurrentDepth;
                while (reader.Read() && !(reader.TokenType == JsonTokenType.EndObject && reader.CurrentDepth == depth))
                {
                    total += reader.ValueSpan.Length;
                    if (total > MaxMetadataBytes)
                        throw bad($"__metadata__ holds more than {MaxMetadataBytes} bytes (the limit; a model's settings take kilobytes), so the file is corrupt or hostile.");
                }
            }
        }
        catch (JsonException) { }
    }

    private static (string, string, int[], long, long) ParseEntry(JsonProperty prop, long dataLength, Func<string, InvalidDataException> bad)
    {
        string name = prop.Name;
        string who = $"tensor '{Clip(name)}'";
        if (prop.Value.ValueKind != JsonValueKind.Object) throw bad($"{who}: the entry is {prop.Value.ValueKind}; expected an object with dtype, shape and data_offsets.");
        JsonElement dtypeEl = default, shapeEl = default, offEl = default;
        bool hasD = false, hasS = false, hasO = false;
        foreach (var f in prop.Value.EnumerateObject())
        {
            switch (f.Name)
            {
                case "dtype": if (hasD) throw bad($"{who}: 'dtype' is given twice."); dtypeEl = f.Value; hasD = true; break;
                case "shape": if (hasS) throw bad($"{who}: 'shape' is given twice."); shapeEl = f.Value; hasS = true; break;
                case "data_offsets": if (hasO) throw bad($"{who}: 'data_offsets' is given twice."); offEl = f.Value; hasO = true; break;
            }
        }
        if (!hasD || !hasS || !hasO) throw bad($"{who}: the entry needs dtype, shape and data_offsets.");
        if (dtypeEl.ValueKind != JsonValueKind.String) throw bad($"{who}: dtype must be a string.");
        string dtype = dtypeEl.GetString()!;
        int size = DTypeSize(dtype);
        if (size == 0) throw bad($"{who}: unknown dtype '{Clip(dtype)}' (known: BOOL, U8, I8, F8_E5M2, F8_E4M3, I16, U16, F16, BF16, I32, U32, F32, I64, U64, F64).");
        if (shapeEl.ValueKind != JsonValueKind.Array) throw bad($"{who}: shape must be an array of integers.");
        int rank = shapeEl.GetArrayLength();
        if (rank > 64) throw bad($"{who}: shape has {rank} dimensions; at most 64 are supported.");
        var shape = new int[rank];
        long count = 1;
        int i = 0;
        foreach (var d in shapeEl.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt32(out int v) || v < 0)
                throw bad($"{who}: shape entries must be integers in [0, {int.MaxValue}]; got {Clip(d.GetRawText())}.");
            shape[i++] = v;
            // Saturate instead of overflowing: any count over the data length is rejected below anyway.
            count = v == 0 ? 0 : count > long.MaxValue / v ? long.MaxValue : count * v;
        }
        if (offEl.ValueKind != JsonValueKind.Array || offEl.GetArrayLength() != 2) throw bad($"{who}: data_offsets must be [begin, end].");
        var o0 = offEl[0];
        var o1 = offEl[1];
        if (o0.ValueKind != JsonValueKind.Number || o1.ValueKind != JsonValueKind.Number || !o0.TryGetInt64(out long begin) || !o1.TryGetInt64(out long end) || begin < 0 || end < 0)
            throw bad($"{who}: data_offsets must be two non-negative integers; got {Clip(offEl.GetRawText())}.");
        if (end < begin) throw bad($"{who}: data_offsets [{begin}, {end}] end before they begin.");
        if (end > dataLength) throw bad($"{who}: data_offsets [{begin}, {end}] run past the end of the data ({dataLength} bytes; file truncated?).");
        long bytes = count > long.MaxValue / size ? long.MaxValue : count * size;
        if (bytes != end - begin)
            throw bad($"{who}: shape [{string.Join(", ", shape)}] of {dtype} needs {(bytes == long.MaxValue ? "too many" : bytes.ToString())} bytes but data_offsets [{begin}, {end}] hold {end - begin}.");
        return (name, dtype, shape, begin, end);
    }

    private static void ReadExactly(Stream s, Span<byte> buffer, string source)
    {
        try { s.ReadExactly(buffer); }
        catch (EndOfStreamException) { throw new InvalidDataException($"{source}: the file ended early (truncated while reading)."); }
    }

    internal static string Clip(string s) => s.Length <= 60 ? s : s[..60] + "…";
}

/// <summary>
/// Writes float32 tensors as a safetensors file (see <see cref="SafeTensorsFile"/> for the format), with a
/// <c>checksum_sha256</c> in the metadata and the data aligned to 8 bytes. <see cref="Save"/> is crash-safe
/// (<see cref="AtomicFile"/>).
/// </summary>
public sealed class SafeTensorsWriter
{
    private readonly List<(string Name, string DType, int[] Shape, float[]? Data, byte[]? Raw)> _tensors = new();
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);

    /// <summary>String metadata stored under <c>__metadata__</c>.</summary>
    public Dictionary<string, string> Metadata { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Whether to write a <c>checksum_sha256</c> (default true; Praxis files always carry one). Off for files in
    /// another library's layout, e.g. a Hugging Face checkpoint, whose metadata is only <c>{"format": "pt"}</c>.
    /// </summary>
    public bool IncludeChecksum { get; init; } = true;

    /// <summary>Adds a tensor; <paramref name="data"/> is referenced, not copied, until written.</summary>
    public void Add(string name, int[] shape, float[] data)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name == "__metadata__") throw new ArgumentException("'__metadata__' is reserved by the safetensors format and cannot name a tensor.");
        long count = 1;
        foreach (int d in shape)
        {
            if (d < 0) throw new ArgumentException($"Tensor '{name}' has an unknown dimension in shape [{string.Join(", ", shape)}].");
            count *= d;
        }
        if (count != data.Length) throw new ArgumentException($"Tensor '{name}': shape [{string.Join(", ", shape)}] needs {count} values; got {data.Length}.");
        if (!_names.Add(name)) throw new ArgumentException($"Two tensors are named '{name}'; names in a safetensors file must be unique.");
        _tensors.Add((name, "F32", (int[])shape.Clone(), data, null));
    }

    /// <summary>
    /// Adds a tensor of any dtype as raw little-endian bytes (referenced, not copied), e.g. F16 or BF16 values
    /// written back in the dtype they were read in.
    /// </summary>
    public void AddRaw(string name, string dtype, int[] shape, byte[] bytes)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name == "__metadata__") throw new ArgumentException("'__metadata__' is reserved by the safetensors format and cannot name a tensor.");
        int size = SafeTensorsFile.DTypeSize(dtype);
        if (size == 0) throw new ArgumentException($"Tensor '{name}': unknown dtype '{dtype}'.");
        long count = 1;
        foreach (int d in shape)
        {
            if (d < 0) throw new ArgumentException($"Tensor '{name}' has an unknown dimension in shape [{string.Join(", ", shape)}].");
            count *= d;
        }
        if (count * size != bytes.Length) throw new ArgumentException($"Tensor '{name}': shape [{string.Join(", ", shape)}] of {dtype} needs {count * size} bytes; got {bytes.Length}.");
        if (!_names.Add(name)) throw new ArgumentException($"Two tensors are named '{name}'; names in a safetensors file must be unique.");
        _tensors.Add((name, dtype, (int[])shape.Clone(), null, bytes));
    }

    /// <summary>Adds a copy of a tensor's values under <paramref name="name"/> (default: the tensor's name).</summary>
    public void Add(Tensor tensor, string? name = null) =>
        Add(name ?? tensor.Name ?? throw new ArgumentException("The tensor has no name; pass one."), tensor.Shape.ToArray(), tensor.ToArray());

    /// <summary>Writes the file to a stream.</summary>
    public void WriteTo(Stream stream)
    {
        var header = BuildHeader(out int sumAt);
        Span<byte> len = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)header.Length);
        if (IncludeChecksum)
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            hash.AppendData(len);
            hash.AppendData(header);
            foreach (var t in _tensors) hash.AppendData(Bytes(t));
            Encoding.ASCII.GetBytes(Convert.ToHexStringLower(hash.GetHashAndReset()), header.AsSpan(sumAt, 64));
        }
        stream.Write(len);
        stream.Write(header);
        foreach (var t in _tensors) stream.Write(Bytes(t));
    }

    /// <summary>Writes the file crash-safely: temporary file, fsync, atomic rename.</summary>
    public void Save(string path) => AtomicFile.Write(path, WriteTo);

    /// <summary>The file's bytes.</summary>
    public byte[] ToArray()
    {
        using var ms = new MemoryStream();
        WriteTo(ms);
        return ms.ToArray();
    }

    private byte[] BuildHeader(out int checksumOffset)
    {
        var placeholder = new string('0', 64);
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            w.WriteStartObject("__metadata__");
            foreach (var (k, v) in Metadata)
                if (k != SafeTensorsFile.ChecksumKey) w.WriteString(k, v);
            if (IncludeChecksum) w.WriteString(SafeTensorsFile.ChecksumKey, placeholder);
            w.WriteEndObject();
            long offset = 0;
            foreach (var (name, dtype, shape, data, raw) in _tensors)
            {
                w.WriteStartObject(name);
                w.WriteString("dtype", dtype);
                w.WriteStartArray("shape");
                foreach (int d in shape) w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(offset);
                offset += raw?.Length ?? 4L * data!.Length;
                w.WriteNumberValue(offset);
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        // Pad with spaces (allowed after JSON) so the data starts 8-byte aligned, as the reference writer does.
        int pad = (int)((8 - (8 + ms.Length) % 8) % 8);
        for (int i = 0; i < pad; i++) ms.WriteByte((byte)' ');
        var bytes = ms.ToArray();
        var needle = Encoding.UTF8.GetBytes($"\"{SafeTensorsFile.ChecksumKey}\":\"{placeholder}\"");
        checksumOffset = IncludeChecksum ? bytes.AsSpan().IndexOf(needle) + needle.Length - 65 : -1;
        return bytes;
    }

    private static ReadOnlySpan<byte> Bytes((string Name, string DType, int[] Shape, float[]? Data, byte[]? Raw) t) =>
        t.Raw ?? Bytes(t.Data!);

    private static ReadOnlySpan<byte> Bytes(float[] data)
    {
        if (BitConverter.IsLittleEndian) return MemoryMarshal.AsBytes(data.AsSpan());
        var b = new byte[data.Length * 4];
        for (int i = 0; i < data.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(b.AsSpan(4 * i), data[i]);
        return b;
    }
}
