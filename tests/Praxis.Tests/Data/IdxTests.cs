using System.IO.Compression;
using Praxis.Data;

namespace Praxis.Tests.Data;

public class IdxTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("praxis-idx-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Path_(string name) => Path.Combine(_dir, name);

    [Theory]
    [InlineData("images.idx")]
    [InlineData("images.idx.gz")]
    public void RoundTripsRawAndGzip(string name)
    {
        byte[] data = Enumerable.Range(0, 2 * 3 * 4).Select(i => (byte)(i * 10)).ToArray();
        Idx.Write(Path_(name), [2, 3, 4], data);
        var f = Idx.Read(Path_(name));
        Assert.Equal([2, 3, 4], f.Dims);
        Assert.Equal(data, f.Data);
        var t = f.ToTensor(1f / 255);
        Assert.Equal(new Shape(2, 3, 4), t.Shape);
        Assert.Equal(230f / 255, t[1, 2, 3], 6);
    }

    [Fact]
    public void WrongMagicIsNamed()
    {
        File.WriteAllBytes(Path_("bad.idx"), [0x12, 0x34, 0x08, 0x01, 0, 0, 0, 1, 7]);
        var ex = Assert.Throws<InvalidDataException>(() => Idx.Read(Path_("bad.idx")));
        Assert.Contains("bad.idx", ex.Message);
        Assert.Contains("magic", ex.Message);
    }

    [Fact]
    public void TruncatedDataIsNamed()
    {
        Idx.Write(Path_("ok.idx"), [10, 5], new byte[50]);
        var bytes = File.ReadAllBytes(Path_("ok.idx"));
        File.WriteAllBytes(Path_("cut.idx"), bytes[..^7]);
        var ex = Assert.Throws<InvalidDataException>(() => Idx.Read(Path_("cut.idx")));
        Assert.Contains("cut.idx", ex.Message);
        Assert.Contains("truncated", ex.Message);
        Assert.Contains("50", ex.Message);
        Assert.Contains("43", ex.Message);
    }

    [Fact]
    public void TruncatedGzipIsNamed()
    {
        Idx.Write(Path_("ok.idx.gz"), [100, 50], Enumerable.Range(0, 5000).Select(i => (byte)(i * 7)).ToArray());
        var bytes = File.ReadAllBytes(Path_("ok.idx.gz"));
        File.WriteAllBytes(Path_("cut.idx.gz"), bytes[..(bytes.Length / 2)]);
        var ex = Assert.Throws<InvalidDataException>(() => Idx.Read(Path_("cut.idx.gz")));
        Assert.Contains("cut.idx.gz", ex.Message);
    }

    [Fact]
    public void BadHeadersAreNamed()
    {
        File.WriteAllBytes(Path_("type.idx"), [0, 0, 0x0D, 1, 0, 0, 0, 1, 0, 0, 0, 0]);
        Assert.Contains("element type", Assert.Throws<InvalidDataException>(() => Idx.Read(Path_("type.idx"))).Message);
        File.WriteAllBytes(Path_("rank.idx"), [0, 0, 0x08, 9]);
        Assert.Contains("rank", Assert.Throws<InvalidDataException>(() => Idx.Read(Path_("rank.idx"))).Message);
        File.WriteAllBytes(Path_("short.idx"), [0, 0, 0x08, 3, 0, 0]);
        Assert.Contains("header", Assert.Throws<InvalidDataException>(() => Idx.Read(Path_("short.idx"))).Message);
        File.WriteAllBytes(Path_("zero.idx"), [0, 0, 0x08, 1, 0, 0, 0, 0]);
        Assert.Contains("positive", Assert.Throws<InvalidDataException>(() => Idx.Read(Path_("zero.idx"))).Message);
        File.WriteAllBytes(Path_("huge.idx"), [0, 0, 0x08, 2, 0x7f, 0xff, 0xff, 0xff, 0x7f, 0xff, 0xff, 0xff]);
        Assert.Contains("more than", Assert.Throws<InvalidDataException>(() => Idx.Read(Path_("huge.idx"))).Message);
        File.WriteAllBytes(Path_("trail.idx"), [0, 0, 0x08, 1, 0, 0, 0, 1, 5, 6]);
        Assert.Contains("trailing", Assert.Throws<InvalidDataException>(() => Idx.Read(Path_("trail.idx"))).Message);
    }

    [Fact]
    public void ImageLabelPairsAreChecked()
    {
        Idx.Write(Path_("img.idx"), [3, 28, 28], new byte[3 * 784]);
        Idx.Write(Path_("lab.idx"), [2], [1, 2]);
        var ex = Assert.Throws<InvalidDataException>(() => Mnist.LoadIdxPair(Path_("img.idx"), Path_("lab.idx"), 28, 28, 10));
        Assert.Contains("2 labels for 3 images", ex.Message);
        Idx.Write(Path_("lab3.idx"), [3], [1, 2, 11]);
        ex = Assert.Throws<InvalidDataException>(() => Mnist.LoadIdxPair(Path_("img.idx"), Path_("lab3.idx"), 28, 28, 10));
        Assert.Contains("label 11", ex.Message);
        Idx.Write(Path_("img2.idx"), [3, 32, 32], new byte[3 * 1024]);
        ex = Assert.Throws<InvalidDataException>(() => Mnist.LoadIdxPair(Path_("img2.idx"), Path_("lab3.idx"), 28, 28, 10));
        Assert.Contains("(N, 28, 28)", ex.Message);
    }
}
