using System.Diagnostics;
using System.IO.Compression;
using Praxis.Data;
using Praxis.IO;
using Praxis.Models;
using Praxis.Optimizers;

namespace Praxis.Tests.IO;

/// <summary>
/// Issue 18: files written by an attacker or a careless user cost little memory, fail with a message that says what
/// is wrong, and leave nothing behind. Allocation is measured with the thread's allocated-bytes counter, so a reader
/// that allocates what a header declares before checking it fails here.
/// </summary>
[Collection("Global state")]
public class HostileFileTests
{
    private static long Allocated(Action act)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        act();
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    private static byte[] Gzip(byte[] raw)
    {
        using var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Optimal)) gz.Write(raw);
        return ms.ToArray();
    }

    // ------------------------------------------------------------------ item 1: IDX headers that lie

    [Fact]
    public void IdxHeaderDeclaringTwoGibibytesCostsNothingRawOrGzip()
    {
        using var dir = new TempDir();
        byte[] lie = [0, 0, 0x08, 0x01, 0x7F, 0xFF, 0xFF, 0xC7]; // 2,147,483,591 bytes declared, none present
        File.WriteAllBytes(dir.File("lie.idx"), lie);
        File.WriteAllBytes(dir.File("lie.idx.gz"), Gzip(lie));
        foreach (var name in new[] { "lie.idx", "lie.idx.gz" })
        {
            InvalidDataException? e = null;
            long bytes = Allocated(() => e = Assert.Throws<InvalidDataException>(() => Idx.Read(dir.File(name))));
            Assert.Contains(name, e!.Message);
            Assert.Contains("truncated", e.Message);
            Assert.Contains("2147483591", e.Message);
            Assert.True(bytes < 4 << 20, $"{name}: reading a 2 GiB claim allocated {bytes:N0} bytes");
        }
    }

    [Fact]
    public void GzipIdxGrowsOnlyWithTheDataPresent()
    {
        using var dir = new TempDir();
        // Declares 100 MB, holds 3 MB: the buffer may grow with the data, never to the declared size.
        var raw = new byte[12 + 3_000_000];
        raw[2] = 0x08; raw[3] = 2;
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(raw.AsSpan(4), 100_000);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(raw.AsSpan(8), 1000);
        File.WriteAllBytes(dir.File("short.idx.gz"), Gzip(raw));
        InvalidDataException? e = null;
        long bytes = Allocated(() => e = Assert.Throws<InvalidDataException>(() => Idx.Read(dir.File("short.idx.gz"))));
        Assert.Contains("found 3000000", e!.Message);
        Assert.True(bytes < 24 << 20, $"allocated {bytes:N0} bytes for 3 MB of data declared as 100 MB");

        // A well-formed file larger than one chunk still reads exactly.
        var data = Enumerable.Range(0, 3_000_000).Select(i => (byte)(i * 31)).ToArray();
        Idx.Write(dir.File("ok.idx.gz"), [3000, 1000], data);
        var f = Idx.Read(dir.File("ok.idx.gz"));
        Assert.Equal([3000, 1000], f.Dims);
        Assert.Equal(data, f.Data);
    }

    [Fact]
    public void IdxCallerBoundIsCheckedBeforeReading()
    {
        using var dir = new TempDir();
        Idx.Write(dir.File("big.idx.gz"), [1000, 28, 28], new byte[1000 * 784]);
        InvalidDataException? e = null;
        long bytes = Allocated(() => e = Assert.Throws<InvalidDataException>(() => Idx.Read(dir.File("big.idx.gz"), maxElements: 10_000)));
        Assert.Contains("784000 elements", e!.Message);
        Assert.Contains("10000", e.Message);
        Assert.True(bytes < 1 << 20, $"allocated {bytes:N0} bytes");
        Assert.Equal(1000 * 784, Idx.Read(dir.File("big.idx.gz"), maxElements: 784_000).Data.Length);
    }

    // ------------------------------------------------------------------ item 3: a folder where a file belongs

    [Fact]
    public void ADirectoryIsNamedAsADirectory()
    {
        using var dir = new TempDir();
        string folder = dir.File("model.praxis");
        Directory.CreateDirectory(folder);
        var model = SaveLoadTests.SeedMlp();
        foreach (var act in new Action[]
        {
            () => Model.Load(folder),
            () => model.LoadWeights(folder),
            () => SafeTensorsFile.Read(folder),
            () => Idx.Read(folder),
        })
        {
            var e = Assert.Throws<IOException>(act);
            Assert.StartsWith(folder + ": is a directory", e.Message);
        }
    }

    // ------------------------------------------------------------------ item 2: oversized metadata

    [Fact]
    public void OversizedMetadataIsRefusedWithoutCopies()
    {
        var w = new SafeTensorsWriter();
        w.Add("x", [2], [1f, 2f]);
        w.Metadata["note"] = new string('a', 24 << 20);
        byte[] file;
        using (var ms = new MemoryStream())
        {
            w.WriteTo(ms);
            file = ms.ToArray();
        }
        InvalidDataException? e = null;
        long bytes = Allocated(() => e = Assert.Throws<InvalidDataException>(() => SafeTensorsFile.Read(file, "big.safetensors")));
        Assert.StartsWith("big.safetensors: __metadata__ holds more than", e!.Message);
        // The header itself must be read (24 MiB); nothing on top of it but small change.
        Assert.True(bytes < (24 << 20) + (4 << 20), $"refusing 24 MiB of metadata allocated {bytes:N0} bytes");

        // Metadata under the limit still loads, and its checksum (hashed around the digits, no copy) verifies.
        var ok = new SafeTensorsWriter();
        ok.Add("x", [2], [1f, 2f]);
        ok.Metadata["note"] = new string('b', 1 << 20);
        using var ms2 = new MemoryStream();
        ok.WriteTo(ms2);
        var read = SafeTensorsFile.Read(ms2.ToArray());
        Assert.True(read.ChecksumVerified);
        Assert.Equal(1 << 20, read.Metadata["note"].Length);
    }

    // ------------------------------------------------------------------ the long fuzz run's findings

    [Theory]
    // The long fuzz run's one safetensors failure: JsonDocument accepts "\ud800" and throws InvalidOperationException
    // when the string is read. In a tensor name, a dtype, a metadata key and a metadata value:
    [InlineData("{\"\\ud800\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}")]
    [InlineData("{\"x\":{\"dtype\":\"F\\udc0032\",\"shape\":[1],\"data_offsets\":[0,4]}}")]
    [InlineData("{\"__metadata__\":{\"\\udfff\":\"a\"},\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}")]
    [InlineData("{\"__metadata__\":{\"k\":\"\\ud800\"},\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}")]
    public void SafeTensorsHeaderWithEscapedLoneSurrogateIsInvalidData(string header)
    {
        byte[] json = System.Text.Encoding.UTF8.GetBytes(header);
        var file = new byte[8 + json.Length + 4];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)json.Length);
        json.CopyTo(file, 8);
        var e = Assert.Throws<InvalidDataException>(() =>
        {
            using var ms = new MemoryStream(file);
            foreach (var t in SafeTensorsFile.Read(ms, file.Length, "odd.safetensors", verifyChecksum: false).Tensors) t.ToFloat32();
        });
        Assert.StartsWith("odd.safetensors: the header's a string at byte", e.Message);
        Assert.Contains("lone UTF-16 surrogate", e.Message);
    }

    [Fact]
    public void ConfigsWithEscapedLoneSurrogatesAreInvalidData()
    {
        var model = new Sequential([new Praxis.Layers.InputLayer([3]), new Praxis.Layers.Dense(2, name: "d")]);
        string config = ModelConfig.ToJson(model).Replace("\"d\"", "\"d\\ud800\"", StringComparison.Ordinal);
        var e1 = Assert.Throws<InvalidDataException>(() => ModelConfig.FromJson(System.Text.Encoding.UTF8.GetBytes(config), "m.praxis", 1 << 20));
        Assert.StartsWith("m.praxis: the model config: a string at byte", e1.Message);
        var e2 = Assert.Throws<InvalidDataException>(() => CompileConfig.FromJson("{\"optimizer\":{\"class_name\":\"Adam\\udc00\",\"config\":{}}}", "c.praxis"));
        Assert.StartsWith("c.praxis: compile_config: a string at byte", e2.Message);
    }

    // ------------------------------------------------------------------ item 4: hyper-parameters on load

    [Theory]
    [InlineData("learning_rate", "-1")]
    [InlineData("learning_rate", "NaN")]
    [InlineData("beta_1", "1.5")]
    [InlineData("epsilon", "-1e-7")]
    [InlineData("clipnorm", "0")]
    public void ImpossibleHyperParametersInAModelFileAreRefused(string key, string value)
    {
        using var dir = new TempDir();
        string path = dir.File("m.praxis");
        var model = SaveLoadTests.SeedMlp();
        model.Save(path);
        var saved = SafeTensorsFile.Read(path);
        var cc = System.Text.Json.Nodes.JsonNode.Parse(saved.Metadata["compile_config"])!;
        cc["optimizer"]!["config"]![key] = value == "NaN" ? "NaN" : System.Text.Json.Nodes.JsonValue.Create(double.Parse(value, System.Globalization.CultureInfo.InvariantCulture));
        // Rewrite with a fresh checksum, as an editor of the file would.
        var w = new SafeTensorsWriter();
        foreach (var t in saved.Tensors) w.Add(t.Name, t.Shape, t.ToFloat32());
        foreach (var (k, v) in saved.Metadata)
            if (k != SafeTensorsFile.ChecksumKey) w.Metadata[k] = v;
        w.Metadata["compile_config"] = cc.ToJsonString();
        w.Save(path);

        var e = Assert.Throws<InvalidDataException>(() => Model.Load(path));
        Assert.StartsWith(path + ": ", e.Message);
        Assert.Contains(key, e.Message);
        Model.Load(path, compile: false); // the architecture and weights alone are fine
    }

    [Fact]
    public void ConstructorsAndSettersRefuseTheSameValues()
    {
        Assert.Contains("learning_rate", Assert.Throws<ArgumentOutOfRangeException>(() => new Adam(-1f)).Message);
        Assert.Contains("beta_2", Assert.Throws<ArgumentOutOfRangeException>(() => new Adam(beta2: 1f)).Message);
        Assert.Contains("momentum", Assert.Throws<ArgumentOutOfRangeException>(() => new SGD(momentum: -0.5f)).Message);
        Assert.Contains("rho", Assert.Throws<ArgumentOutOfRangeException>(() => new RMSprop(rho: float.NaN)).Message);
        Assert.Contains("weight_decay", Assert.Throws<ArgumentOutOfRangeException>(() => new AdamW(weightDecay: -1f)).Message);
        var sgd = new SGD();
        Assert.Throws<ArgumentOutOfRangeException>(() => sgd.LearningRate = float.PositiveInfinity);
        Assert.Throws<ArgumentOutOfRangeException>(() => sgd.ClipValue = -1f);
        Assert.Equal(0.01f, sgd.LearningRate);
        Assert.Null(sgd.ClipValue);
        sgd.LearningRate = 0f; // a frozen phase is legitimate
        sgd.ClipValue = null;
    }

    // ------------------------------------------------------------------ item 9: temporaries of killed saves

    [Fact]
    public void TemporariesOfDeadWritersAreSweptEvenWhenTheirIdIsReused()
    {
        using var dir = new TempDir();
        string path = dir.File("m.praxis");
        var model = SaveLoadTests.SeedMlp();
        model.Save(path);

        // A pid that is alive now but started after the temporary was written is a reused id, not the writer.
        string reused = $"{path}.tmp-1-{Guid.NewGuid():N}";
        File.WriteAllBytes(reused, [1, 2, 3]);
        File.SetLastWriteTimeUtc(reused, new DateTime(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc));
        // This process's own id with a file older than this process: a previous run in a container that numbered it alike.
        string ours = $"{path}.tmp-{Environment.ProcessId}-{Guid.NewGuid():N}";
        File.WriteAllBytes(ours, [1, 2, 3]);
        File.SetLastWriteTimeUtc(ours, new DateTime(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc));
        // A live writer's fresh file is left alone.
        string live = $"{path}.tmp-{Environment.ProcessId}-{Guid.NewGuid():N}";
        File.WriteAllBytes(live, [1, 2, 3]);
        // One per earlier kill: none may pile up.
        var dead = Enumerable.Range(0, 5).Select(i => $"{path}.tmp-{999990 + i}-{Guid.NewGuid():N}").ToList();
        foreach (var d in dead) File.WriteAllBytes(d, [1]);

        model.Save(path);
        Assert.False(File.Exists(reused), "a temporary whose pid was reused by a later process survived the save");
        Assert.False(File.Exists(ours), "a temporary older than this process, under its pid, survived the save");
        Assert.All(dead, d => Assert.False(File.Exists(d)));
        Assert.True(File.Exists(live));
        File.Delete(live);
    }

    [Fact]
    public void TemporariesOfZombieWritersAreSwept()
    {
        if (!OperatingSystem.IsLinux()) return;
        using var dir = new TempDir();
        string path = dir.File("w.safetensors");
        // `sleep 0` exits at once and, its parent having exec'd into a sleep that never reaps, stays a zombie: killed
        // and not yet waited for, as a writer killed under a supervisor that is slow to reap.
        var psi = new ProcessStartInfo("/bin/sh", ["-c", "sleep 0 & echo $!; exec sleep 20"]) { RedirectStandardOutput = true };
        using var parent = Process.Start(psi)!;
        try
        {
            int zombie = int.Parse(parent.StandardOutput.ReadLine()!, System.Globalization.CultureInfo.InvariantCulture);
            var sw = Stopwatch.StartNew();
            while (sw.Elapsed < TimeSpan.FromSeconds(10) && !File.ReadAllText($"/proc/{zombie}/stat").Contains(") Z ", StringComparison.Ordinal)) Thread.Sleep(20);
            string tmp = $"{path}.tmp-{zombie}-{Guid.NewGuid():N}";
            File.WriteAllBytes(tmp, [1, 2, 3]);
            var w = new SafeTensorsWriter(); // every atomic save sweeps, not only model saves
            w.Add("x", [1], [1f]);
            w.Save(path);
            Assert.False(File.Exists(tmp), "the temporary of a zombie (dead) writer survived the save");
        }
        finally
        {
            parent.Kill();
            parent.WaitForExit();
        }
    }
}
