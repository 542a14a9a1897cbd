namespace Praxis;

/// <summary>Library version information.</summary>
public static class PraxisInfo
{
    /// <summary>The library version.</summary>
    public static string Version => typeof(PraxisInfo).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
}
