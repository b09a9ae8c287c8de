using System.Globalization;
using System.Text.Json;
using Microsoft.Azure.Functions.Worker;

namespace Wati.Functions.Jobs;

/// <summary>Reads the queue trigger's metadata from the invocation's binding data.</summary>
public static class TriggerData
{
    /// <summary>
    /// The message's <c>DequeueCount</c> (deliveries so far, from 1); 0 when the host sent none. Read from
    /// binding data rather than bound as a parameter because its wire type (number or string) has varied
    /// between extension versions.
    /// </summary>
    public static long DequeueCount(FunctionContext context) =>
        context.BindingContext.BindingData.TryGetValue("DequeueCount", out var value) ? value switch
        {
            long l => l,
            int i => i,
            JsonElement { ValueKind: JsonValueKind.Number } e when e.TryGetInt64(out var n) => n,
            JsonElement { ValueKind: JsonValueKind.String } e when long.TryParse(e.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out var n) => n,
            string s when long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var n) => n,
            _ => 0,
        } : 0;
}
