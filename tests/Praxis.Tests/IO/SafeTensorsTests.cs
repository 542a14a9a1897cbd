using System.Buffers.Binary;
using System.Text;
using Praxis.IO;

namespace Praxis.Tests.IO;

public class SafeTensorsTests
{
    /// <summary>A file laid out by hand from the public format description, independent of Praxis' writer.</summary>
    internal static byte[] HandMade(string header, byte[] data)
    {
        var h = Encoding.UTF8.GetBytes(header);
        var b = new byte[8 + h.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(b, (ulong)h.Length);
        h.CopyTo(b, 8);
        data.CopyTo(b, 8 + h.Length);
        return b;
    }

    private static byte[] Floats(params float[] v)
    {
        var b = new byte[v.Length * 4];
        for (int i = 0; i < v.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(b.AsSpan(4 * i), v[i]);
        return b;
    }

    internal static byte[] SampleFile()
    {
        var w = new SafeTensorsWriter();
        w.Metadata["format"] = "praxis.test";
        w.Add("a/kernel", [2, 3], [1, 2, 3, 4, 5, 6]);
        w.Add("a/bias", [3], [0.5f, -0.25f, 1e-30f]);
        w.Add("empty", [0, 4], []);
        return w.ToArray();
    }

    [Fact]
    public void WriterOutputFollowsThePublicLayoutAndRoundTrips()
    {
        var bytes = SampleFile();
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0, (8 + (long)n) % 8); // data aligned
        string header = Encoding.UTF8.GetString(bytes, 8, (int)n);
        Assert.StartsWith("{", header);
        Assert.Contains("\"a/kernel\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]}", header);
        Assert.Equal(1f, BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(8 + (int)n)));

        var f = SafeTensorsFile.Read(bytes, "sample");
        Assert.True(f.ChecksumVerified);
        Assert.Equal("praxis.test", f.Metadata["format"]);
        Assert.Equal([1f, 2, 3, 4, 5, 6], f.Find("a/kernel")!.ToFloat32());
        Assert.Equal([2, 3], f.Find("a/kernel")!.Shape);
        Assert.Equal([0.5f, -0.25f, 1e-30f], f.Find("a/bias")!.ToFloat32());
        Assert.Empty(f.Find("empty")!.ToFloat32());
    }

    [Fact]
    public void ReadsFilesFromOtherWritersWithoutChecksumAndConvertsFloatDTypes()
    {
        // F16 1.5 = 0x3E00, BF16 -2 = 0xC000, F64 0.1; header keys in any order, spaces allowed.
        var data = new byte[2 + 2 + 8];
        BinaryPrimitives.WriteUInt16LittleEndian(data, 0x3E00);
        BinaryPrimitives.WriteUInt16LittleEndian(data.AsSpan(2), 0xC000);
        BinaryPrimitives.WriteDoubleLittleEndian(data.AsSpan(4), 0.1);
        string header = "{ \"d\": {\"data_offsets\": [4, 12], \"shape\": [1], \"dtype\": \"F64\"}, \"h\": {\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[0,2]}," +
                        " \"b\": {\"dtype\":\"BF16\",\"shape\":[],\"data_offsets\":[2,4]}, \"__metadata__\": {\"k\": \"v\"} }   ";
        var f = SafeTensorsFile.Read(HandMade(header, data), "other");
        Assert.False(f.ChecksumVerified);
        Assert.Equal([1.5f], f.Find("h")!.ToFloat32());
        Assert.Equal([-2f], f.Find("b")!.ToFloat32());
        Assert.Equal([0.1f], f.Find("d")!.ToFloat32());
        Assert.Equal(["h", "b", "d"], f.Tensors.Select(t => t.Name).ToArray()); // data order
    }

    private static InvalidDataException Fails(byte[] bytes) => Assert.Throws<InvalidDataException>(() => SafeTensorsFile.Read(bytes, "bad.safetensors"));

    [Fact]
    public void TruncatedFilesAreRejectedNamingTheFile()
    {
        var good = SampleFile();
        foreach (int len in new[] { 0, 5, 8, 20, good.Length - 1, good.Length - 24 })
        {
            var e = Fails(good[..len]);
            Assert.StartsWith("bad.safetensors: ", e.Message);
        }
        Assert.Contains("truncated", Fails(good[..(good.Length - 1)]).Message);
    }

    [Fact]
    public void EveryFlippedBitIsCaughtByStructureOrChecksum()
    {
        var good = SampleFile();
        var rng = new Random(7);
        for (int k = 0; k < 300; k++)
        {
            var b = (byte[])good.Clone();
            int bit = rng.Next(b.Length * 8);
            b[bit / 8] ^= (byte)(1 << (bit % 8));
            var e = Fails(b);
            Assert.StartsWith("bad.safetensors: ", e.Message);
        }
        var flipped = (byte[])good.Clone();
        flipped[^3] ^= 0x10; // inside the data: only the checksum can tell
        Assert.Contains("checksum mismatch", Fails(flipped).Message);
    }

    [Fact]
    public void OversizedAndOverlongHeadersAreRejectedBeforeAllocating()
    {
        var b = SampleFile();
        BinaryPrimitives.WriteUInt64LittleEndian(b, ulong.MaxValue);
        Assert.Contains("over the 100000000-byte limit", Fails(b).Message);
        BinaryPrimitives.WriteUInt64LittleEndian(b, 50_000_000);
        Assert.Contains("only", Fails(b).Message);
    }

    [Fact]
    public void WrongDTypesGiveClearErrors()
    {
        var unknown = HandMade("{\"w\":{\"dtype\":\"F33\",\"shape\":[1],\"data_offsets\":[0,4]}}", new byte[4]);
        Assert.Contains("unknown dtype 'F33'", Fails(unknown).Message);
        var integer = SafeTensorsFile.Read(HandMade("{\"w\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}", new byte[8]), "int.safetensors");
        var e = Assert.Throws<InvalidDataException>(() => integer.Find("w")!.ToFloat32());
        Assert.Equal("int.safetensors: tensor 'w' has dtype I64; weights must be floating point (F32, F16, BF16 or F64).", e.Message);
        var mismatch = HandMade("{\"w\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,4]}}", new byte[4]);
        Assert.Contains("needs 8 bytes but data_offsets [0, 4] hold 4", Fails(mismatch).Message);
    }

    [Theory]
    [InlineData("[1,2]", "it must be a JSON object")]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", "names 'w' twice")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", "describes 4 bytes of tensor data but 8 bytes follow")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", "belong to no tensor")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", "overlaps")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", "shape entries must be integers")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2147483647,2147483647,2147483647],\"data_offsets\":[0,8]}}", "too many")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,99999999999]}}", "run past the end")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", "end before they begin")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", "needs dtype, shape and data_offsets")]
    [InlineData("{\"__metadata__\":{\"k\":1}}", "metadata values must be strings")]
    [InlineData("{\"__metadata__\":{\"checksum_sha256\":\"zz\"},\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", "64 lowercase hex digits")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}", "not valid JSON")]
    public void MalformedHeadersNameTheFault(string header, string fault)
    {
        var e = Fails(HandMade(header, new byte[8]));
        Assert.StartsWith("bad.safetensors: ", e.Message);
        Assert.Contains(fault, e.Message);
    }

    [Fact]
    public void APraxisFileWithoutItsChecksumIsCorrupt()
    {
        var bytes = SampleFile();
        int at = bytes.AsSpan().IndexOf("checksum_sha256"u8);
        bytes[at] = (byte)'C'; // one flipped bit (0x20) in the key
        Assert.Contains("carries no checksum_sha256", Fails(bytes).Message);
    }

    [Fact]
    public void InvalidUtf8InTheHeaderIsRejected()
    {
        var b = HandMade("{\"a?\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", new byte[8]);
        b[8 + 3] = 0xFF;
        Assert.Contains("not valid UTF-8", Fails(b).Message);
    }

    [Fact]
    public void SaveIsAtomicAndLeavesNoTemporaryFiles()
    {
        using var dir = new TempDir();
        var path = dir.File("w.safetensors");
        var w = new SafeTensorsWriter();
        w.Add("x", [2], [1, 2]);
        w.Save(path);
        w.Save(path);
        Assert.Equal(new[] { "w.safetensors" }, Directory.GetFiles(dir.Path).Select(f => Path.GetFileName(f)).ToArray());
        Assert.Equal([1f, 2], SafeTensorsFile.Read(path).Find("x")!.ToFloat32());
    }
}
