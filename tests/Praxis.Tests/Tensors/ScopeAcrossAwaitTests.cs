using Praxis.Autograd;

namespace Praxis.Tests.Tensors;

/// <summary>
/// NoGrad and Tape belong to the code that opened them (its async flow), not to a thread (docs/ARCHITECTURE.md,
/// "Threading"): they hold across an await that resumes on another thread, and the thread they left is not left in them.
/// </summary>
[Collection("Global state")]
public class ScopeAcrossAwaitTests
{
    private static Tensor Weight()
    {
        var w = Tensor.FromArray([1f, 2f, 3f], 3);
        w.RequiresGrad = true;
        return w;
    }

    [Fact]
    public async Task NoGradHoldsAcrossAwaitOnAnotherThread()
    {
        var w = Weight();
        var (enabled, recorded) = await InScope(w);
        Assert.False(enabled);
        Assert.False(recorded);
        Assert.True(Engine.IsGradEnabled);
        Assert.True((w * 2f).RequiresGrad);

        // The library user's code: a scope around awaits (xUnit keeps ConfigureAwait(false) out of test methods themselves).
        static async Task<(bool Enabled, bool Recorded)> InScope(Tensor w)
        {
            using (Tensor.NoGrad())
            {
                await Task.Yield();
                // Delay(1) completes on a timer thread; ConfigureAwait(false) resumes there, not on the starting thread.
                await Task.Delay(1).ConfigureAwait(false);
                return (Engine.IsGradEnabled, (w * 2f).RequiresGrad);
            }
        }
    }

    [Fact]
    public async Task NoGradDoesNotStayOnTheThreadItLeft()
    {
        // A thread starts an async method that enters NoGrad and awaits; the method's continuation runs elsewhere. The
        // starting thread goes on with other work (as a pool thread would run the next request) and must have grad.
        var release = new TaskCompletionSource();
        bool? enabledAfterLeaving = null, enabledInOtherWork = null, enabledInScope = null;
        Task? flow = null;
        var thread = new Thread(() =>
        {
            flow = InScope();
            enabledAfterLeaving = Engine.IsGradEnabled;
            enabledInOtherWork = (Weight() * 2f).RequiresGrad;
            release.SetResult();
        });
        thread.UnsafeStart();
        thread.Join();
        await flow!;

        Assert.True(enabledAfterLeaving);
        Assert.True(enabledInOtherWork);
        Assert.False(enabledInScope);
        Assert.True(Engine.IsGradEnabled);

        async Task InScope()
        {
            using (Tensor.NoGrad())
            {
                await release.Task.ConfigureAwait(false);
                enabledInScope = Engine.IsGradEnabled;
            }
        }
    }

    [Fact]
    public void NoGradOnOneThreadDoesNotReachAnother()
    {
        var w = Weight();
        using var entered = new ManualResetEventSlim();
        using var checkedOther = new ManualResetEventSlim();
        var holder = new Thread(() =>
        {
            using (Tensor.NoGrad())
            {
                entered.Set();
                checkedOther.Wait();
            }
        });
        holder.UnsafeStart();
        entered.Wait();
        try
        {
            // A scope is open in the process (the fast path is off), but not in this flow.
            Assert.True(Engine.IsGradEnabled);
            Assert.True((w * 2f).RequiresGrad);
        }
        finally
        {
            checkedOther.Set();
            holder.Join();
        }
    }

    [Fact]
    public async Task TapeRecordsAcrossAwaitAndIsNotCurrentWhereItWasLeft()
    {
        var a = Weight();
        var release = new TaskCompletionSource();
        Tape? seenOnStartingThread = null, recorded = null;
        Task? flow = null;
        var thread = new Thread(() =>
        {
            flow = Record();
            seenOnStartingThread = Tape.Current;
            release.SetResult();
        });
        thread.UnsafeStart();
        thread.Join();
        await flow!;

        Assert.Null(seenOnStartingThread);
        Assert.NotNull(recorded);
        Assert.Single(recorded!.Ops);
        Assert.Null(Tape.Current);

        async Task Record()
        {
            using var tape = new Tape();
            await release.Task.ConfigureAwait(false);
            _ = a * a;
            recorded = tape;
        }
    }

    [Fact]
    public async Task DisposingAScopeOutsideTheAsyncMethodThatOpenedItThrows()
    {
        var scope = await OpenInside();
        var e = Assert.Throws<InvalidOperationException>(() => scope.Dispose());
        Assert.Contains("async method", e.Message);
        Assert.True(Engine.IsGradEnabled);

        static async Task<NoGradScope> OpenInside()
        {
            await Task.Yield();
            return Tensor.NoGrad();
        }
    }
}
