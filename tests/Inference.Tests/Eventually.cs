namespace ModuleService.Inference.Tests;

internal static class Eventually
{
    /// <summary>Engine gauges are updated by the engine thread after it hands out results; poll briefly.</summary>
    public static async Task<bool> True(Func<bool> condition, int timeoutMs = 5000)
    {
        for (int waited = 0; waited < timeoutMs; waited += 10)
        {
            if (condition()) return true;
            await Task.Delay(10);
        }
        return condition();
    }
}
