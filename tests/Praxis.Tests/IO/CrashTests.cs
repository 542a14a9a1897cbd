using System.Diagnostics;
using Praxis.IO;

namespace Praxis.Tests.IO;

/// <summary>Kills a real child process while it is saving a checkpoint and checks the last complete save survives.</summary>
public class CrashTests
{
    [Fact]
    public void KillingTheWriterMidSaveLeavesTheLastCompleteCheckpoint()
    {
        string helper = Path.Combine(AppContext.BaseDirectory, "Praxis.CrashHelper.dll");
        Assert.True(File.Exists(helper), $"{helper} was not built next to the tests.");
        using var dir = new TempDir();
        string path = dir.File("ckpt.praxis");
        var rng = new Random(3);
        int killedMidSave = 0;
        for (int attempt = 0; attempt < 6; attempt++)
        {
            // Even attempts die at a random moment; odd ones are told to pause once their temporary file is
            // written, and die in that pause, so at least some deaths are mid-save however fast the disk is.
            bool paused = attempt % 2 == 1;
            var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, UseShellExecute = false };
            psi.ArgumentList.Add(helper);
            psi.ArgumentList.Add(path);
            if (paused) { psi.ArgumentList.Add("--pause-ms"); psi.ArgumentList.Add("5000"); }
            using var p = Process.Start(psi)!;
            int last = -1;
            try
            {
                // Let it complete a few saves, then kill it in a later one.
                while (true)
                {
                    string? line = p.StandardOutput.ReadLine();
                    Assert.NotNull(line);
                    if (line!.StartsWith("saved ")) last = int.Parse(line["saved ".Length..]);
                    else if (paused && last >= 2) break; // "writing k": the temporary file is complete, not renamed
                    if (!paused && last >= 2) { Thread.Sleep(rng.Next(1, 40)); break; }
                }
            }
            finally { p.Kill(entireProcessTree: true); p.WaitForExit(); }
            while (p.StandardOutput.ReadLine() is { } line)
                if (line.StartsWith("saved ")) last = int.Parse(line["saved ".Length..]);

            bool tornTemp = Directory.GetFiles(dir.Path, "ckpt.praxis.tmp-*").Length > 0;
            if (tornTemp) killedMidSave++;
            if (paused) Assert.True(tornTemp, "the writer died before renaming, yet left no temporary file");
            // Whatever the moment of death, the checkpoint is a whole generation: the last one reported, or the
            // next if it died after the rename but before printing.
            var file = SafeTensorsFile.Read(path);
            Assert.True(file.ChecksumVerified);
            var model = Praxis.Models.Model.Load(path);
            float k = model.Weights[0].Span[0];
            if (paused) Assert.Equal(last, k);
            else Assert.True(k == last || k == last + 1, $"checkpoint holds generation {k}; the writer had reported {last}");
            foreach (var w in model.Weights) Assert.All(w.ToArray(), v => Assert.Equal(k, v));
            foreach (var t in Directory.GetFiles(dir.Path, "ckpt.praxis.tmp-*")) File.Delete(t);
        }
        Assert.True(killedMidSave >= 3, $"only {killedMidSave} of 6 deaths left a torn temporary file");
    }
}
