using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Numerics.Tensors;
using System.Text;
using Praxis.Kernels;

namespace Praxis.Distributed.Mpi;

/// <summary>
/// The processes of an MPI job (<c>MPI_COMM_WORLD</c>) as an <see cref="IProcessGroup"/>, over Open MPI's
/// <c>libmpi.so.40</c> loaded at run time. Launch the program with <c>mpirun -np N dotnet app.dll</c> and create the
/// group once per process with <see cref="Initialize"/>; dispose it at the end (<c>MPI_Finalize</c>).
/// </summary>
/// <remarks>
/// MPI is initialised with <c>MPI_THREAD_FUNNELED</c>: Praxis's kernel threads never call MPI; only the thread that
/// created the group may use it. Errors are returned rather than fatal, and raised as <see cref="MpiException"/> naming
/// the call, the rank and MPI's message. A process started without <c>mpirun</c> is a job of one (MPI singleton).
/// Creating the group changes no process-wide setting: when several ranks share a machine, apply
/// <see cref="SuggestedNumThreads"/> to <see cref="KernelPool.NumThreads"/> so that they do not oversubscribe its cores
/// (as <c>torchrun</c> sets <c>OMP_NUM_THREADS</c>); <c>praxis train --distributed</c> does so unless <c>--threads</c> is given.
/// </remarks>
public sealed unsafe class MpiProcessGroup : IProcessGroup
{
    private static MpiProcessGroup? s_world;

    private readonly nint _comm, _float, _byte, _sum;
    private readonly bool _ownsInit;
    private bool _finalized;

    // Requests of StartAllReduce: a slot per request in flight. Ids carry a generation so a stale id is recognised.
    private const int MaxInFlight = 1024;
    private nint[] _requests = new nint[8];
    private MemoryHandle[] _pins = new MemoryHandle[8];
    private Memory<float>[] _data = new Memory<float>[8];
    private byte[] _state = new byte[8]; // 0 free, 1 in flight, 2 completed (by Test), awaiting Wait
    private bool[] _average = new bool[8];
    private int[] _generation = new int[8];

    private MpiProcessGroup(bool ownsInit)
    {
        _ownsInit = ownsInit;
        _comm = OpenMpi.CommWorld;
        _float = OpenMpi.Float;
        _byte = OpenMpi.Byte;
        _sum = OpenMpi.OpSum;
        Check(OpenMpi.MPI_Comm_set_errhandler(_comm, OpenMpi.ErrorsReturn), "MPI_Comm_set_errhandler");
        int rank, size;
        Check(OpenMpi.MPI_Comm_rank(_comm, &rank), "MPI_Comm_rank");
        Check(OpenMpi.MPI_Comm_size(_comm, &size), "MPI_Comm_size");
        Rank = rank;
        Size = size;
        LocalSize = int.TryParse(Environment.GetEnvironmentVariable(OpenMpi.LocalSizeVariable), out int local) && local > 0 ? local : 1;
        HostName = ReadString(OpenMpi.MaxProcessorName, &OpenMpi.MPI_Get_processor_name);
        LibraryVersion = ReadString(OpenMpi.MaxLibraryVersionString, &OpenMpi.MPI_Get_library_version);
    }

    /// <summary>
    /// Initialises MPI (once per process) and returns the world group; later calls return the same group. Throws
    /// <see cref="DllNotFoundException"/> with installation advice when Open MPI is not installed.
    /// </summary>
    public static MpiProcessGroup Initialize()
    {
        if (s_world is { _finalized: false }) return s_world;
        if (!OpenMpi.TryLoad(out var error)) throw new DllNotFoundException(error);
        int initialized, finalized;
        OpenMpi.MPI_Finalized(&finalized);
        if (finalized != 0) throw new InvalidOperationException("MPI was already finalized in this process; it cannot be initialised again.");
        OpenMpi.MPI_Initialized(&initialized);
        if (initialized == 0)
        {
            int provided;
            int rc = OpenMpi.MPI_Init_thread(null, null, OpenMpi.ThreadFunneled, &provided);
            if (rc != OpenMpi.Success) throw new MpiException("MPI_Init_thread", rc, -1, $"error code {rc}");
            if (provided < OpenMpi.ThreadFunneled)
                throw new MpiException("MPI_Init_thread", 0, -1, $"the library provides thread level {provided}; Praxis needs MPI_THREAD_FUNNELED ({OpenMpi.ThreadFunneled}).");
        }
        return s_world = new MpiProcessGroup(ownsInit: initialized == 0);
    }

    /// <summary>True when Open MPI's library can be loaded in this process.</summary>
    public static bool IsAvailable => OpenMpi.TryLoad(out _);

    /// <summary>True when this process was started by Open MPI's <c>mpirun</c> (it sets <c>OMPI_COMM_WORLD_SIZE</c>).</summary>
    public static bool IsLaunchedByMpirun => Environment.GetEnvironmentVariable(OpenMpi.LaunchedVariable) != null;

    /// <inheritdoc />
    public int Rank { get; }

    /// <inheritdoc />
    public int Size { get; }

    /// <inheritdoc />
    public string Backend => "mpi";

    /// <summary>How many ranks of the job run on this machine (1 outside mpirun).</summary>
    public int LocalSize { get; }

    /// <summary>
    /// Kernel threads per rank that share this machine's cores among its <see cref="LocalSize"/> ranks (cores divided
    /// by ranks here, at least 1). The group does not apply it, since the thread count is the caller's choice; set
    /// <c>KernelPool.NumThreads = group.SuggestedNumThreads</c> to use it.
    /// </summary>
    public int SuggestedNumThreads => Math.Max(1, Environment.ProcessorCount / LocalSize);

    /// <summary>The host this rank runs on (<c>MPI_Get_processor_name</c>).</summary>
    public string HostName { get; }

    /// <summary>The MPI library's own version line (<c>MPI_Get_library_version</c>), e.g. "Open MPI v4.1.4, …".</summary>
    public string LibraryVersion { get; }

    /// <summary>The library file that was loaded.</summary>
    public static string? LibraryFile => OpenMpi.LoadedFrom;

    /// <inheritdoc />
    public void Broadcast(Span<float> data, int root = 0)
    {
        CheckOpen();
        CheckRoot(root);
        fixed (float* p = data) Check(OpenMpi.MPI_Bcast(p, data.Length, _float, root, _comm), "MPI_Bcast");
    }

    /// <inheritdoc />
    public void Broadcast(Span<byte> data, int root = 0)
    {
        CheckOpen();
        CheckRoot(root);
        fixed (byte* p = data) Check(OpenMpi.MPI_Bcast(p, data.Length, _byte, root, _comm), "MPI_Bcast");
    }

    /// <inheritdoc />
    public void AllReduce(Span<float> data, ReduceOp op = ReduceOp.Sum)
    {
        CheckOpen();
        fixed (float* p = data) Check(OpenMpi.MPI_Allreduce(OpenMpi.InPlace, p, data.Length, _float, _sum, _comm), "MPI_Allreduce");
        if (op == ReduceOp.Average) TensorPrimitives.Multiply(data, 1f / Size, data);
    }

    /// <inheritdoc />
    public PendingReduce StartAllReduce(Memory<float> data, ReduceOp op = ReduceOp.Sum)
    {
        CheckOpen();
        int slot = Array.IndexOf(_state, (byte)0);
        if (slot < 0)
        {
            slot = _state.Length;
            if (slot >= MaxInFlight) throw new InvalidOperationException($"More than {MaxInFlight} all-reduces in flight; Wait for some first.");
            Grow(slot * 2);
        }
        var pin = data.Pin();
        nint request;
        int rc = OpenMpi.MPI_Iallreduce(OpenMpi.InPlace, pin.Pointer, data.Length, _float, _sum, _comm, &request);
        if (rc != OpenMpi.Success)
        {
            pin.Dispose();
            Check(rc, "MPI_Iallreduce");
        }
        _requests[slot] = request;
        _pins[slot] = pin;
        _data[slot] = data;
        _average[slot] = op == ReduceOp.Average;
        _state[slot] = 1;
        return new PendingReduce(_generation[slot] * MaxInFlight + slot);
    }

    /// <inheritdoc />
    public bool Test(PendingReduce request)
    {
        int slot = Slot(request, "Test");
        if (_state[slot] == 2) return true;
        int flag;
        fixed (nint* r = &_requests[slot]) Check(OpenMpi.MPI_Test(r, &flag, OpenMpi.StatusIgnore), "MPI_Test");
        if (flag == 0) return false;
        Complete(slot);
        _state[slot] = 2;
        return true;
    }

    /// <inheritdoc />
    public void Wait(PendingReduce request)
    {
        int slot = Slot(request, "Wait");
        if (_state[slot] == 1)
        {
            fixed (nint* r = &_requests[slot]) Check(OpenMpi.MPI_Wait(r, OpenMpi.StatusIgnore), "MPI_Wait");
            Complete(slot);
        }
        _state[slot] = 0;
        _generation[slot]++;
    }

    private void Complete(int slot)
    {
        _pins[slot].Dispose();
        _pins[slot] = default;
        if (_average[slot])
        {
            var s = _data[slot].Span;
            TensorPrimitives.Multiply(s, 1f / Size, s);
        }
        _data[slot] = default;
    }

    private int Slot(PendingReduce request, string what)
    {
        int slot = request.Id % MaxInFlight, generation = request.Id / MaxInFlight;
        if (request.Id < 0 || slot >= _state.Length || _state[slot] == 0 || _generation[slot] != generation)
            throw new InvalidOperationException($"{what}: request {request.Id} is not in flight on this group (already waited for, or from another group).");
        return slot;
    }

    private void Grow(int length)
    {
        Array.Resize(ref _requests, length);
        Array.Resize(ref _pins, length);
        Array.Resize(ref _data, length);
        Array.Resize(ref _state, length);
        Array.Resize(ref _average, length);
        Array.Resize(ref _generation, length);
    }

    /// <inheritdoc />
    public void Barrier()
    {
        CheckOpen();
        Check(OpenMpi.MPI_Barrier(_comm), "MPI_Barrier");
    }

    /// <inheritdoc />
    [DoesNotReturn]
    public void Abort(int errorCode)
    {
        Console.Out.Flush();
        Console.Error.Flush();
        if (!_finalized) OpenMpi.MPI_Abort(_comm, errorCode == 0 ? 1 : errorCode);
        Environment.Exit(errorCode == 0 ? 1 : errorCode); // MPI_Abort does not return; this only runs after finalize
        throw new InvalidOperationException("unreachable");
    }

    /// <summary>Finalises MPI (collective: every rank must dispose its group). Later use throws.</summary>
    public void Dispose()
    {
        if (_finalized) return;
        _finalized = true;
        if (!_ownsInit) return;
        int finalized;
        OpenMpi.MPI_Finalized(&finalized);
        if (finalized == 0) Check(OpenMpi.MPI_Finalize(), "MPI_Finalize");
    }

    private void CheckOpen()
    {
        if (_finalized) throw new ObjectDisposedException(nameof(MpiProcessGroup), "MPI was finalized (the group was disposed).");
    }

    private void CheckRoot(int root)
    {
        if ((uint)root >= (uint)Size) throw new ArgumentOutOfRangeException(nameof(root), $"Broadcast root {root} is not a rank of this group of {Size}.");
    }

    private void Check(int rc, string call)
    {
        if (rc != OpenMpi.Success) throw new MpiException(call, rc, Rank, ErrorString(rc));
    }

    internal static string ErrorString(int rc)
    {
        byte* buf = stackalloc byte[OpenMpi.MaxErrorString + 1];
        int len = 0;
        return OpenMpi.MPI_Error_string(rc, buf, &len) == OpenMpi.Success
            ? Encoding.UTF8.GetString(buf, Math.Clamp(len, 0, OpenMpi.MaxErrorString))
            : $"error code {rc}";
    }

    private static string ReadString(int max, delegate*<byte*, int*, int> call)
    {
        byte* buf = stackalloc byte[max + 1];
        int len = 0;
        return call(buf, &len) == OpenMpi.Success ? Encoding.UTF8.GetString(buf, Math.Clamp(len, 0, max)).TrimEnd('\0', '\n') : "";
    }
}

/// <summary>An MPI call failed; the message names the call, the rank and MPI's explanation.</summary>
public sealed class MpiException : Exception
{
    /// <summary>Creates the exception.</summary>
    public MpiException(string call, int errorCode, int rank, string detail)
        : base($"{call} failed{(rank >= 0 ? $" on rank {rank}" : "")}: {detail}")
    {
        Call = call;
        ErrorCode = errorCode;
    }

    /// <summary>The MPI function that failed.</summary>
    public string Call { get; }

    /// <summary>The MPI error code.</summary>
    public int ErrorCode { get; }
}
