namespace Praxis.IO;

/// <summary>
/// Crash-safe file replacement: the content is written to a temporary file in the same folder, flushed to the disk
/// (<c>fsync</c>), and only then renamed over the target, so a reader sees either the old file or the new one, never
/// a half-written one, even if the process dies or the machine loses power mid-write.
/// </summary>
/// <remarks>
/// The rename is atomic on POSIX file systems and on NTFS (<see cref="File.Move(string, string, bool)"/> maps to
/// <c>rename(2)</c> / <c>MoveFileEx(MOVEFILE_REPLACE_EXISTING)</c>). Temporary files are named
/// <c>{target}.tmp-{pid}-{random}</c>; one left behind by a crash is harmless and is removed by
/// <see cref="CleanStaleTemporaries"/>, which every <see cref="Write"/> to the same target calls first. After the
/// rename the folder is fsynced too (<see cref="SyncDirectory"/>), so the new name itself survives a power loss.
/// </remarks>
public static partial class AtomicFile
{
    /// <summary>Test hook: called with the temporary path after the content is written, before it is flushed and renamed.</summary>
    internal static Action<string>? BeforeCommit { get; set; }

    /// <summary>Writes <paramref name="path"/> atomically with the bytes <paramref name="write"/> puts into the stream.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(write);
        string full = Path.GetFullPath(path);
        string dir = Path.GetDirectoryName(full) ?? ".";
        Directory.CreateDirectory(dir);
        // Every save to a path sweeps what killed writers left beside it, so kills cannot pile up temporaries.
        CleanStaleTemporaries(full);
        string tmp = $"{full}.tmp-{Environment.ProcessId}-{Guid.NewGuid():N}";
        try
        {
            using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(fs);
                BeforeCommit?.Invoke(tmp);
                fs.Flush(flushToDisk: true);
            }
            Replace(tmp, full);
        }
        catch
        {
            try { File.Delete(tmp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
    }

    /// <summary>
    /// Renames <paramref name="temporary"/> over <paramref name="path"/> (atomically, in one folder) and makes the rename
    /// durable by fsyncing the folder. Flush the temporary file's content to disk before calling.
    /// </summary>
    public static void Replace(string temporary, string path)
    {
        File.Move(temporary, path, overwrite: true);
        SyncDirectory(Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".");
    }

    /// <summary>
    /// Flushes a folder's entries to disk (<c>open</c> + <c>fsync</c> of the folder on Linux and macOS), so that a
    /// rename into it survives a crash; a no-op on Windows, where NTFS journals the rename and a folder cannot be
    /// flushed this way. File systems that cannot fsync a folder are ignored; an I/O error is raised.
    /// </summary>
    /// <exception cref="IOException">The disk reported an I/O error (EIO) while flushing.</exception>
    public static void SyncDirectory(string directory)
    {
        if (!(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS() || OperatingSystem.IsFreeBSD())) return;
        int fd = Open(directory, 0 /* O_RDONLY */);
        if (fd < 0) return; // e.g. no read permission on the folder: the rename stands, only its durability is unknown
        try
        {
            if (Fsync(fd) != 0)
            {
                int errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
                if (errno == 5 /* EIO */) throw new IOException($"fsync of folder '{directory}' failed with an I/O error (EIO): the rename may not be on disk.");
            }
        }
        finally
        {
            _ = Close(fd);
        }
    }

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = System.Runtime.InteropServices.StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);

    /// <summary>Writes all of <paramref name="bytes"/> to <paramref name="path"/> atomically.</summary>
    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
    {
        var copy = bytes.ToArray();
        Write(path, s => s.Write(copy));
    }

    /// <summary>
    /// Deletes temporary files left next to <paramref name="path"/> by writers that died, except those of live
    /// processes (which may still be writing). Errors are ignored: this is housekeeping.
    /// </summary>
    public static void CleanStaleTemporaries(string path)
    {
        try
        {
            string full = Path.GetFullPath(path);
            string? dir = Path.GetDirectoryName(full);
            if (dir == null || !Directory.Exists(dir)) return;
            string prefix = Path.GetFileName(full) + ".tmp-";
            foreach (var f in Directory.EnumerateFiles(dir, prefix + "*"))
            {
                string rest = Path.GetFileName(f)[prefix.Length..];
                int dash = rest.IndexOf('-');
                // A writer that is still running (this process included) may be about to rename its file; one that started
                // after the file was written only reuses a dead writer's id (containers number from 1 on every run).
                if (dash > 0 && int.TryParse(rest[..dash], out int pid) && IsAlive(pid, File.GetLastWriteTimeUtc(f))) continue;
                try { File.Delete(f); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    /// <summary>
    /// Whether the process <paramref name="pid"/> could still be writing a file last written at <paramref name="written"/>:
    /// it exists, is not a zombie (killed but not yet reaped by its parent), and started before the file was written
    /// (otherwise the id was reused by an unrelated process after the writer died).
    /// </summary>
    internal static bool IsAlive(int pid, DateTime written)
    {
        if (pid <= 0) return false;
        if (OperatingSystem.IsLinux())
        {
            try
            {
                string stat = File.ReadAllText($"/proc/{pid}/stat");
                int close = stat.LastIndexOf(')');
                if (close > 0 && close + 2 < stat.Length && stat[close + 2] is 'Z' or 'X') return false;
            }
            catch (IOException) { return false; }
            catch (UnauthorizedAccessException) { }
        }
        try
        {
            using var p = System.Diagnostics.Process.GetProcessById(pid);
            if (p.HasExited) return false;
            // Two seconds of slack: start times and file times come from different clocks' rounding.
            return p.StartTime.ToUniversalTime() <= written.AddSeconds(2);
        }
        catch (ArgumentException) { return false; }
        catch (InvalidOperationException) { return false; }
        catch (System.ComponentModel.Win32Exception) { return true; } // cannot tell: keep the file
        catch (NotSupportedException) { return true; }
    }
}
