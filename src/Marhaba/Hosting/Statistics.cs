namespace Marhaba.Hosting;

public static class Statistics
{
    /// <summary>The nearest-rank percentile (<paramref name="fraction"/> from 0 to 1) of values sorted ascending; 0 when there are none.</summary>
    public static double Percentile(IReadOnlyList<double> sorted, double fraction) =>
        sorted.Count == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(fraction * sorted.Count) - 1, 0, sorted.Count - 1)];
}
