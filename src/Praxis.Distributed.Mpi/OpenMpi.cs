using System.Reflection;
using System.Runtime.InteropServices;

namespace Praxis.Distributed.Mpi;

/// <summary>
/// Everything Praxis knows about Open MPI's binary interface, in one place: the library's name, the C functions used,
/// the constants of <c>mpi.h</c>, and where the predefined handles live.
/// </summary>
/// <remarks>
/// In Open MPI (3.x to 5.x, soname <c>libmpi.so.40</c>) every handle type (<c>MPI_Comm</c>, <c>MPI_Datatype</c>,
/// <c>MPI_Op</c>, <c>MPI_Request</c>, <c>MPI_Errhandler</c>) is a pointer, and a predefined handle such as
/// <c>MPI_COMM_WORLD</c> is the address of an exported global object (<c>&amp;ompi_mpi_comm_world</c>), so it is found
/// with <see cref="NativeLibrary.GetExport"/>. MPICH-family libraries (<c>libmpi.so.12</c>) use integer handles instead
/// and are not supported. The library is opened with <c>RTLD_GLOBAL</c>, as <c>mpicc</c>-built programs have it,
/// so the plug-ins Open MPI loads at <c>MPI_Init</c> can see its symbols.
/// </remarks>
internal static unsafe partial class OpenMpi
{
    private const string Lib = "praxis-libmpi"; // logical name, mapped by the resolver below

    /// <summary>Environment variable naming the library file explicitly.</summary>
    public const string LibraryVariable = "PRAXIS_MPI_LIBRARY";

    /// <summary>Set by Open MPI's launcher (mpirun, orterun) in every process it starts.</summary>
    public const string LaunchedVariable = "OMPI_COMM_WORLD_SIZE";

    /// <summary>Set by the launcher: how many ranks of the job run on this machine.</summary>
    public const string LocalSizeVariable = "OMPI_COMM_WORLD_LOCAL_SIZE";

    private static readonly string[] Candidates = ["libmpi.so.40", "libmpi.so"];

    // ---- mpi.h constants (Open MPI)
    public const int Success = 0;                  // MPI_SUCCESS
    public const int ThreadFunneled = 1;           // MPI_THREAD_FUNNELED (enum: SINGLE 0, FUNNELED 1, SERIALIZED 2, MULTIPLE 3)
    public const int MaxErrorString = 256;         // MPI_MAX_ERROR_STRING
    public const int MaxProcessorName = 256;       // MPI_MAX_PROCESSOR_NAME
    public const int MaxLibraryVersionString = 256; // MPI_MAX_LIBRARY_VERSION_STRING
    public static readonly void* InPlace = (void*)1; // MPI_IN_PLACE
    public static readonly void* StatusIgnore = null; // MPI_STATUS_IGNORE

    private static nint s_handle;
    private static string? s_loadError;

    static OpenMpi() => NativeLibrary.SetDllImportResolver(typeof(OpenMpi).Assembly, Resolve);

    /// <summary>The file that was loaded, once <see cref="TryLoad"/> succeeded.</summary>
    public static string? LoadedFrom { get; private set; }

    /// <summary>Loads the library once; false (with a reason) when it is not installed or is not Open MPI.</summary>
    public static bool TryLoad(out string? error)
    {
        if (s_handle == 0 && s_loadError == null) Load();
        error = s_loadError;
        return s_handle != 0;
    }

    private static void Load()
    {
        string? explicitPath = Environment.GetEnvironmentVariable(LibraryVariable);
        string[] names = string.IsNullOrEmpty(explicitPath) ? Candidates : [explicitPath];
        foreach (var name in names)
        {
            nint h = OpenGlobal(name);
            if (h == 0) continue;
            if (!NativeLibrary.TryGetExport(h, "ompi_mpi_comm_world", out _))
            {
                s_loadError = $"'{name}' is an MPI library but not Open MPI (no ompi_mpi_comm_world symbol); Praxis supports Open MPI (Debian/Ubuntu: apt-get install openmpi-bin).";
                return;
            }
            s_handle = h;
            LoadedFrom = name;
            return;
        }
        s_loadError = string.IsNullOrEmpty(explicitPath)
            ? $"Open MPI's library (libmpi.so.40) was not found. Install Open MPI (Debian/Ubuntu: apt-get install openmpi-bin) or set {LibraryVariable} to the path of libmpi.so."
            : $"{LibraryVariable}='{explicitPath}' could not be loaded.";
    }

    private static nint OpenGlobal(string name)
    {
        const int RtldNow = 2, RtldGlobal = 0x100;
        try
        {
            nint h = DlOpen(name, RtldNow | RtldGlobal);
            if (h != 0) return h;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // Not glibc: fall back to the runtime's loader (RTLD_LOCAL), which suffices when plug-ins link libmpi themselves.
        }
        return NativeLibrary.TryLoad(name, out nint handle) ? handle : 0;
    }

    [LibraryImport("libc.so.6", EntryPoint = "dlopen", StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint DlOpen(string file, int mode);

    private static nint Resolve(string name, Assembly assembly, DllImportSearchPath? path)
    {
        if (name != Lib) return 0;
        if (!TryLoad(out var error)) throw new DllNotFoundException(error);
        return s_handle;
    }

    /// <summary>The address of a predefined handle object (e.g. <c>ompi_mpi_comm_world</c> for MPI_COMM_WORLD).</summary>
    private static nint Handle(string symbol)
    {
        if (!TryLoad(out var error)) throw new DllNotFoundException(error);
        return NativeLibrary.GetExport(s_handle, symbol);
    }

    // ---- predefined handles
    public static nint CommWorld => Handle("ompi_mpi_comm_world");   // MPI_COMM_WORLD
    public static nint Float => Handle("ompi_mpi_float");             // MPI_FLOAT
    public static nint Byte => Handle("ompi_mpi_byte");               // MPI_BYTE
    public static nint OpSum => Handle("ompi_mpi_op_sum");            // MPI_SUM
    public static nint ErrorsReturn => Handle("ompi_mpi_errors_return"); // MPI_ERRORS_RETURN

    // ---- functions (MPI-3.1 C bindings; handles as nint)
    [LibraryImport(Lib)] public static partial int MPI_Initialized(int* flag);
    [LibraryImport(Lib)] public static partial int MPI_Finalized(int* flag);
    [LibraryImport(Lib)] public static partial int MPI_Init_thread(int* argc, byte*** argv, int required, int* provided);
    [LibraryImport(Lib)] public static partial int MPI_Finalize();
    [LibraryImport(Lib)] public static partial int MPI_Comm_rank(nint comm, int* rank);
    [LibraryImport(Lib)] public static partial int MPI_Comm_size(nint comm, int* size);
    [LibraryImport(Lib)] public static partial int MPI_Comm_set_errhandler(nint comm, nint errhandler);
    [LibraryImport(Lib)] public static partial int MPI_Bcast(void* buffer, int count, nint datatype, int root, nint comm);
    [LibraryImport(Lib)] public static partial int MPI_Allreduce(void* sendbuf, void* recvbuf, int count, nint datatype, nint op, nint comm);
    [LibraryImport(Lib)] public static partial int MPI_Iallreduce(void* sendbuf, void* recvbuf, int count, nint datatype, nint op, nint comm, nint* request);
    [LibraryImport(Lib)] public static partial int MPI_Test(nint* request, int* flag, void* status);
    [LibraryImport(Lib)] public static partial int MPI_Wait(nint* request, void* status);
    [LibraryImport(Lib)] public static partial int MPI_Barrier(nint comm);
    [LibraryImport(Lib)] public static partial int MPI_Abort(nint comm, int errorcode);
    [LibraryImport(Lib)] public static partial int MPI_Error_string(int errorcode, byte* text, int* length);
    [LibraryImport(Lib)] public static partial int MPI_Get_processor_name(byte* name, int* length);
    [LibraryImport(Lib)] public static partial int MPI_Get_library_version(byte* version, int* length);
}
