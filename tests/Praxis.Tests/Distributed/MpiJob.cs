using System.Diagnostics;
using System.Text;

namespace Praxis.Tests.Distributed;

/// <summary>A test that needs Open MPI's <c>mpirun</c>; skipped, with the reason, on machines without it.</summary>
public sealed class MpiFactAttribute : FactAttribute
{
    /// <summary>Sets <see cref="FactAttribute.Skip"/> when mpirun is missing or is not Open MPI's.</summary>
    public MpiFactAttribute()
    {
        if (MpiJob.SkipReason is { } reason) Skip = reason;
    }
}

/// <summary>The MPI tests launch jobs one at a time (each already uses both cores).</summary>
[CollectionDefinition("MPI jobs")]
public sealed class MpiJobsCollection;

/// <summary>
/// Runs <c>tests/Praxis.Distributed.Worker</c> (copied next to the tests) under <c>mpirun</c>, or alone, with a time
/// limit: a job still running at the limit is killed (its whole process tree) and reported as hung.
/// </summary>
internal static class MpiJob
{
    private static readonly Lazy<string?> s_mpirun = new(FindMpirun);
    private static readonly Lazy<string?> s_skip = new(FindSkipReason);

    public static string? Mpirun => s_mpirun.Value;

    public static string? SkipReason => s_skip.Value;

    public static string WorkerDll => Path.Combine(AppContext.BaseDirectory, "Praxis.Distributed.Worker.dll");

    public sealed record Result(int ExitCode, bool TimedOut, TimeSpan Elapsed, List<(TimeSpan At, string Line)> Lines)
    {
        public string Output => string.Join('\n', Lines.Select(l => l.Line));

        public override string ToString() => $"exit code {ExitCode}{(TimedOut ? " (killed: time limit)" : "")} after {Elapsed.TotalSeconds:F1}s; output:\n{Output}";
    }

    /// <summary><c>mpirun -np <paramref name="ranks"/> dotnet Worker.dll args…</c>.</summary>
    public static Result Run(int ranks, TimeSpan limit, params string[] args) => RunProgram(ranks, limit, WorkerDll, args);

    /// <summary><c>mpirun -np <paramref name="ranks"/> dotnet <paramref name="dll"/> args…</c>.</summary>
    public static Result RunProgram(int ranks, TimeSpan limit, string dll, params string[] args)
    {
        var psi = new ProcessStartInfo(Mpirun ?? throw new InvalidOperationException("PRAXIS_REQUIRE_MPI=1 but mpirun is not on PATH: install Open MPI (apt-get install openmpi-bin)."));
        // --oversubscribe: CI machines may have fewer cores than ranks. --bind-to none and yielding while waiting: the
        // tests share the cores with other tests (and other users), so a rank must be free to move and to let its peer run.
        // Root (CI containers) must be allowed explicitly.
        foreach (var a in new[] { "-np", ranks.ToString(), "--oversubscribe", "--bind-to", "none", "--mca", "mpi_yield_when_idle", "1", Dotnet(), dll })
            psi.ArgumentList.Add(a);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["OMPI_ALLOW_RUN_AS_ROOT"] = "1";
        psi.Environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1";
        // Containers often forbid the cross-process reads (CMA) Open MPI's shared-memory transport uses for large messages.
        psi.Environment["OMPI_MCA_btl_vader_single_copy_mechanism"] = "none";
        return Start(psi, limit);
    }

    /// <summary><c>dotnet Worker.dll args…</c> as a plain process, without MPI.</summary>
    public static Result RunAlone(TimeSpan limit, params string[] args)
    {
        var psi = new ProcessStartInfo(Dotnet());
        psi.ArgumentList.Add(WorkerDll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        return Start(psi, limit);
    }

    private static Result Start(ProcessStartInfo psi, TimeSpan limit)
    {
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        psi.UseShellExecute = false;
        var lines = new List<(TimeSpan, string)>();
        var clock = Stopwatch.StartNew();
        using var p = new Process { StartInfo = psi };
        DataReceivedEventHandler add = (_, e) =>
        {
            if (e.Data == null) return;
            lock (lines) lines.Add((clock.Elapsed, e.Data));
        };
        p.OutputDataReceived += add;
        p.ErrorDataReceived += add;
        p.Start();
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        bool exited = p.WaitForExit(limit);
        if (!exited) p.Kill(entireProcessTree: true);
        p.WaitForExit(); // drains the redirected streams
        lock (lines) return new Result(exited ? p.ExitCode : -1, !exited, clock.Elapsed, [.. lines]);
    }

    private static string Dotnet() =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host
        : Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self
        : "dotnet";

    private static string? FindMpirun()
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var path = Path.Combine(dir, "mpirun");
            if (File.Exists(path)) return path;
        }
        return null;
    }

    private static string? FindSkipReason()
    {
        // CI sets PRAXIS_REQUIRE_MPI=1 so that a missing or broken Open MPI fails the MPI tests instead of skipping them.
        if (Environment.GetEnvironmentVariable("PRAXIS_REQUIRE_MPI") == "1") return null;
        if (Mpirun == null)
            return "mpirun is not on PATH: install Open MPI (Debian/Ubuntu: apt-get install openmpi-bin) to run the 2-rank MPI tests.";
        try
        {
            var psi = new ProcessStartInfo(Mpirun, "--version") { RedirectStandardOutput = true, RedirectStandardError = true };
            using var p = Process.Start(psi)!;
            string text = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
            p.WaitForExit(10_000);
            return text.Contains("Open MPI", StringComparison.Ordinal) ? null
                : $"mpirun at {Mpirun} is not Open MPI's ('{text.Split('\n')[0].Trim()}'); Praxis binds Open MPI (apt-get install openmpi-bin).";
        }
        catch (Exception e)
        {
            return $"mpirun at {Mpirun} could not be run: {e.Message}";
        }
    }

    /// <summary>Reads the weights a worker wrote: per tensor, a length then the floats.</summary>
    public static List<float[]> ReadWeights(string path)
    {
        using var r = new BinaryReader(File.OpenRead(path));
        var list = new List<float[]>();
        while (r.BaseStream.Position < r.BaseStream.Length)
        {
            var w = new float[r.ReadInt32()];
            for (int i = 0; i < w.Length; i++) w[i] = r.ReadSingle();
            list.Add(w);
        }
        return list;
    }

    /// <summary>Reads the per-epoch logs a worker wrote (key=v1,v2,…).</summary>
    public static Dictionary<string, double[]> ReadHistory(string path)
    {
        var h = new Dictionary<string, double[]>();
        foreach (var line in File.ReadAllLines(path, Encoding.UTF8))
        {
            int eq = line.IndexOf('=');
            if (eq > 0) h[line[..eq]] = line[(eq + 1)..].Split(',').Select(v => double.Parse(v, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        }
        return h;
    }
}
