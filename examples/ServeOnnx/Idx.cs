using System.Buffers.Binary;
using System.IO.Compression;

namespace ServeOnnx;

/// <summary>Reads the IDX files MNIST ships in (optionally gzipped): a big-endian header, then one byte per value.</summary>
public static class Idx
{
    /// <summary>The dimensions and the bytes of an IDX file of unsigned bytes (type 0x08).</summary>
    public static (int[] Dims, byte[] Data) Read(string path)
    {
        using var file = File.OpenRead(path);
        bool gzip = file.ReadByte() == 0x1f;
        file.Position = 0;
        using Stream s = gzip ? new GZipStream(file, CompressionMode.Decompress) : file;
        var header = new byte[4];
        s.ReadExactly(header);
        if (header[0] != 0 || header[1] != 0 || header[2] != 0x08 || header[3] is 0 or > 4)
            throw new InvalidDataException($"{path}: not an IDX file of unsigned bytes (header {Convert.ToHexString(header)}).");
        var dims = new int[header[3]];
        long count = 1;
        for (int i = 0; i < dims.Length; i++)
        {
            s.ReadExactly(header);
            dims[i] = BinaryPrimitives.ReadInt32BigEndian(header);
            if (dims[i] <= 0 || (count *= dims[i]) > Array.MaxLength) throw new InvalidDataException($"{path}: bad dimension {dims[i]}.");
        }
        var data = new byte[count];
        s.ReadExactly(data); // throws EndOfStreamException when the file is shorter than its header says
        return (dims, data);
    }
}
