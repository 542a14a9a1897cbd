namespace Praxis.Autograd;

/// <summary>
/// The reverse-mode engine: records ops as they run and walks them backwards. One driver for every op, as in
/// micrograd: sort the graph topologically, seed the output gradient, call each op's <see cref="Op.Backward"/> in
/// reverse order.
/// </summary>
public static class Engine
{
    // AsyncLocal, not ThreadStatic: a scope follows its code across an await onto another thread, and the thread it
    // left (back in the pool, running someone else's work) is not left in NoGrad.
    private static readonly AsyncLocal<int> s_noGradDepth = new();

    // NoGrad scopes open anywhere in the process. While none is, IsGradEnabled skips the AsyncLocal read (slower than
    // a ThreadStatic one): eager training pays nothing for the await-safety.
    private static int s_openNoGrad;

    /// <summary>
    /// False inside a <see cref="Tensor.NoGrad"/> scope: results are then not connected to a graph. The scope belongs to
    /// the code that opened it (its async flow), not to a thread: it holds across <c>await</c> and does not reach other
    /// callers' threads.
    /// </summary>
    public static bool IsGradEnabled => Volatile.Read(ref s_openNoGrad) == 0 || NoGradDepthIsZero();

    // Out of line, so the fast test above inlines into Record.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static bool NoGradDepthIsZero() => s_noGradDepth.Value == 0;

    internal static void EnterNoGrad()
    {
        Interlocked.Increment(ref s_openNoGrad);
        s_noGradDepth.Value++;
    }

    internal static void ExitNoGrad()
    {
        int depth = s_noGradDepth.Value;
        // An async method's changes to an AsyncLocal do not reach its caller, so a scope opened inside an awaited
        // method and disposed outside it is not open here; say so instead of corrupting the count.
        if (depth == 0)
            throw new InvalidOperationException("NoGrad scope disposed where it is not open: a scope opened inside an async method must be disposed inside that method.");
        s_noGradDepth.Value = depth - 1;
        Interlocked.Decrement(ref s_openNoGrad);
    }

    /// <summary>
    /// Runs a freshly built op: computes its output, links the output into the graph when an input requires grad (and
    /// grad mode is on), and appends the op to the active <see cref="Tape"/> if one is recording.
    /// </summary>
    public static Tensor Record(Op op)
    {
        op.Forward();
        if (IsGradEnabled)
        {
            foreach (var input in op.Inputs)
            {
                if (input.RequiresGrad)
                {
                    op.Output.GradFn = op;
                    op.Output.RequiresGrad = true;
                    break;
                }
            }
        }
        Tape.Current?.Add(op);
        return op.Output;
    }

    /// <summary>Backpropagates from <paramref name="root"/>; see <see cref="Tensor.Backward"/>.</summary>
    public static void Backward(Tensor root, Tensor? gradient = null)
    {
        if (!root.RequiresGrad)
            throw new InvalidOperationException("Backward() on a tensor that does not require grad: no parameter or input with RequiresGrad = true contributed to it (or it was computed under NoGrad).");
        Run(TopologicalOrder(root), root, gradient);
    }

    /// <summary>The ops that <paramref name="root"/> depends on, each after all ops it reads from.</summary>
    public static List<Op> TopologicalOrder(Tensor root)
    {
        var order = new List<Op>();
        if (root.GradFn == null) return order;
        var visited = new HashSet<Op>(ReferenceEqualityComparer.Instance);
        // Iterative post-order DFS: recurrent graphs can be thousands of ops deep.
        var stack = new Stack<(Op op, int next)>();
        stack.Push((root.GradFn, 0));
        visited.Add(root.GradFn);
        while (stack.Count > 0)
        {
            var (op, next) = stack.Pop();
            if (next < op.Inputs.Length)
            {
                stack.Push((op, next + 1));
                var child = op.Inputs[next].GradFn;
                if (child != null && visited.Add(child)) stack.Push((child, 0));
            }
            else order.Add(op);
        }
        return order;
    }

    /// <summary>
    /// Runs backward over <paramref name="order"/> (topological, as from <see cref="TopologicalOrder"/>). Gradients of
    /// intermediate tensors are reset first; gradients of leaves accumulate, as in PyTorch (zero them between steps).
    /// </summary>
    public static void Run(IReadOnlyList<Op> order, Tensor root, Tensor? gradient) => Run(order, root, gradient, null);

    /// <summary>As <see cref="Run(IReadOnlyList{Op}, Tensor, Tensor?)"/>, telling <paramref name="observer"/> after each op (data-parallel training starts a gradient bucket's all-reduce as soon as backward has finished it).</summary>
    internal static void Run(IReadOnlyList<Op> order, Tensor root, Tensor? gradient, IBackwardObserver? observer)
    {
        for (int i = 0; i < order.Count; i++) order[i].Output.Grad?.Zero();
        var seed = root.Grad ??= new Tensor(root.Shape);
        if (gradient == null)
        {
            if (root.Size != 1) throw new InvalidOperationException($"Backward() without a gradient needs a scalar; this tensor has shape {root.Shape}. Pass the output gradient explicitly.");
            if (root.GradFn == null) seed.Span[0] += 1f; else seed.Span[0] = 1f;
        }
        else
        {
            if (gradient.Shape != root.Shape) throw new ShapeMismatchException($"Backward(): gradient shape {gradient.Shape} does not match output shape {root.Shape}.");
            if (root.GradFn == null) System.Numerics.Tensors.TensorPrimitives.Add(seed.Span, gradient.Span, seed.Span);
            else gradient.Span.CopyTo(seed.Span);
        }
        for (int i = order.Count - 1; i >= 0; i--)
        {
            var op = order[i];
            if (op.Output.Grad != null) op.Backward();
            observer?.AfterBackward(i);
        }
    }
}

/// <summary>Called by <see cref="Engine"/> after the op at each index of the backward order has run (indices descend to 0).</summary>
internal interface IBackwardObserver
{
    /// <summary>The op at <paramref name="index"/> in the topological order has pushed its gradients to its inputs.</summary>
    void AfterBackward(int index);
}

/// <summary>
/// Records every op run on this thread while it is active, in execution order. A recorded list is a reusable
/// program: replaying <see cref="Op.Forward"/> over it recomputes the graph for new input values without building
/// anything, which is how <c>Model.Fit</c> trains with no allocation per step.
/// </summary>
public sealed class Tape : IDisposable
{
    // As NoGrad: AsyncLocal so recording follows an await and never stays behind on a pool thread; the count of open
    // tapes lets Engine.Record skip the AsyncLocal read when nothing records anywhere.
    private static readonly AsyncLocal<Tape?> s_current = new();
    private static int s_open;
    private readonly Tape? _previous;
    private bool _disposed;

    /// <summary>Starts recording in the calling code's flow (across <c>await</c>s, not on other callers' threads).</summary>
    public Tape()
    {
        Interlocked.Increment(ref s_open);
        _previous = s_current.Value;
        s_current.Value = this;
    }

    /// <summary>The tape recording in the calling code's flow, if any.</summary>
    public static Tape? Current => Volatile.Read(ref s_open) == 0 ? null : Recording();

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static Tape? Recording() => s_current.Value;

    /// <summary>The recorded ops in execution order.</summary>
    public List<Op> Ops { get; } = new();

    internal void Add(Op op) => Ops.Add(op);

    /// <summary>
    /// Runs every recorded op's <see cref="Op.Forward"/> again, in order, over the same tensors: the graph is
    /// recomputed for whatever values its inputs hold now, building and allocating nothing (graph capture, as
    /// <c>Model.Fit</c> uses it). Backward over a replayed graph is <see cref="Engine.Run(IReadOnlyList{Op}, Tensor, Tensor?)"/>
    /// with the order <see cref="Engine.TopologicalOrder"/> gave when it was recorded. Only code that obeys the replay
    /// rule replays correctly: values that change per step must be computed inside ops, and nothing recorded may
    /// depend on tensor values (see docs/ARCHITECTURE.md).
    /// </summary>
    public void Replay()
    {
        var ops = Ops;
        for (int i = 0; i < ops.Count; i++) ops[i].Forward();
    }

    /// <summary>Pauses any recording in the calling code's flow until the returned scope is disposed (for shape inference and other side computations).</summary>
    public static SuspendScope Suspend()
    {
        var paused = Current;
        if (paused == null) return default;
        s_current.Value = null;
        return new SuspendScope(paused);
    }

    /// <summary>Restores the recording paused by <see cref="Suspend"/>.</summary>
    public readonly struct SuspendScope : IDisposable
    {
        private readonly Tape? _paused;

        internal SuspendScope(Tape? paused) => _paused = paused;

        /// <summary>Resumes recording.</summary>
        public void Dispose()
        {
            if (_paused != null) s_current.Value = _paused;
        }
    }

    /// <summary>Stops recording.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        if (!ReferenceEquals(s_current.Value, this))
            throw new InvalidOperationException("Tape disposed where it is not the recording tape: dispose tapes in reverse order of creation, inside the async method that created them.");
        _disposed = true;
        s_current.Value = _previous;
        Interlocked.Decrement(ref s_open);
    }
}

/// <summary>A scope in which operations are not recorded for gradients (inference); dispose it to leave.</summary>
public readonly struct NoGradScope : IDisposable
{
    private readonly bool _entered;

    internal NoGradScope(bool enter)
    {
        if (enter) Engine.EnterNoGrad();
        _entered = enter;
    }

    /// <summary>Leaves the scope.</summary>
    public void Dispose()
    {
        if (_entered) Engine.ExitNoGrad();
    }
}
