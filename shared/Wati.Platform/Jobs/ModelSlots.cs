using Microsoft.Extensions.Options;
using Wati.Platform.Models;

namespace Wati.Platform.Jobs;

/// <summary>
/// The model runs this process may have at once (<see cref="ModelsOptions.ConcurrentRuns"/>). A job
/// takes a slot before it is claimed, so waiting for a slot is not running and spends no lease.
/// </summary>
public sealed class ModelSlots(IOptions<ModelsOptions> options)
{
    private readonly SemaphoreSlim _slots = new(options.Value.ConcurrentRuns, options.Value.ConcurrentRuns);

    /// <summary>Waits for a free slot; dispose the answer to give it back.</summary>
    public async Task<IDisposable> AcquireAsync(CancellationToken ct)
    {
        await _slots.WaitAsync(ct);
        return new Slot(_slots);
    }

    private sealed class Slot(SemaphoreSlim slots) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) slots.Release();
        }
    }
}
