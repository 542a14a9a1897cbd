using Praxis.IO;
using Praxis.Tests.IO;

namespace Praxis.Tests.Pretrained;

/// <summary>Top-p sampling, and the memory-mapped safetensors reader's checks.</summary>
public class SamplingAndMappingTests
{
    [Fact]
    public void TopPKeepsTheSmallestSetReachingTheMass()
    {
        // probabilities 0.5, 0.3, 0.15, 0.05 (temperature 1)
        float[] logits = [MathF.Log(0.5f), MathF.Log(0.3f), MathF.Log(0.15f), MathF.Log(0.05f)];
        var rng = new Rng(1);
        var counts = new int[4];
        for (int i = 0; i < 20000; i++) counts[Sampling.Sample(logits, 1f, null, rng, topP: 0.75f)]++;
        // 0.5 + 0.3 >= 0.75: only the first two remain, renormalised to 0.625 / 0.375.
        Assert.Equal(0, counts[2] + counts[3]);
        Assert.InRange(counts[0] / 20000.0, 0.60, 0.65);
        for (int i = 0; i < 200; i++) Assert.Equal(0, Sampling.Sample(logits, 1f, null, rng, topP: 0.4f)); // the most likely always stays
        var all = new int[4];
        for (int i = 0; i < 20000; i++) all[Sampling.Sample(logits, 1f, null, rng, topP: 1f)]++;
        Assert.True(all[3] > 700, $"top_p 1 keeps everything; the 5% token came {all[3]} times");
        Assert.Throws<ArgumentOutOfRangeException>(() => Sampling.Sample(logits, 1f, null, rng, topP: 0f));
        Assert.Throws<ArgumentOutOfRangeException>(() => Sampling.Sample(logits, 1f, null, rng, topP: 1.5f));
    }

    [Fact]
    public void MappedReaderValidatesLikeTheReaderAndConvertsDtypes()
    {
        using var dir = new TempDir();
        var w = new SafeTensorsWriter { IncludeChecksum = false };
        w.Metadata["format"] = "pt";
        w.AddRaw("h", "F16", [3], [0x00, 0x3C, 0x00, 0xC0, 0x00, 0x38]);       // 1, -2, 0.5
        w.AddRaw("b", "BF16", [2], [0x80, 0x3F, 0x40, 0xC0]);                   // 1, -3
        w.Add("f", [2], [1.25f, -7f]);
        w.Save(dir.File("ok.safetensors"));
        using (var st = MappedSafeTensors.Open(dir.File("ok.safetensors")))
        {
            var h = new float[3]; st.CopyTo("h", h); Assert.Equal([1f, -2f, 0.5f], h);
            var b = new float[2]; st.CopyTo("b", b); Assert.Equal([1f, -3f], b);
            var f = new float[2]; st.CopyTo("f", f); Assert.Equal([1.25f, -7f], f);
            Assert.Contains("destination holds 3", Assert.Throws<ArgumentException>(() => st.CopyTo("f", new float[3])).Message);
            Assert.Contains("no tensor named 'x'", Assert.Throws<KeyNotFoundException>(() => st.Shape("x")).Message);
        }
        // A truncated file fails with the same message as SafeTensorsFile.Read.
        var bytes = File.ReadAllBytes(dir.File("ok.safetensors"));
        File.WriteAllBytes(dir.File("cut.safetensors"), bytes[..^3]);
        var e1 = Assert.Throws<InvalidDataException>(() => MappedSafeTensors.Open(dir.File("cut.safetensors")));
        var e2 = Assert.Throws<InvalidDataException>(() => SafeTensorsFile.Read(dir.File("cut.safetensors")));
        Assert.Equal(e2.Message, e1.Message);
        // Praxis model files carry a checksum: they are loaded with Model.Load, not mapped.
        var p = new SafeTensorsWriter();
        p.Metadata["format"] = "praxis.model";
        p.Add("x", [1], [1f]);
        p.Save(dir.File("m.praxis"));
        Assert.Contains("Model.Load", Assert.Throws<InvalidDataException>(() => MappedSafeTensors.Open(dir.File("m.praxis"))).Message);
    }
}
