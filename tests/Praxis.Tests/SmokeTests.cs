namespace Praxis.Tests;

public class SmokeTests
{
    [Fact]
    public void VersionIsSet() => Assert.False(string.IsNullOrEmpty(PraxisInfo.Version));
}
