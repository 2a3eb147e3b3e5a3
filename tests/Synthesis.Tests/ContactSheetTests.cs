using SanReid.Synthesis;

namespace SanReid.Synthesis.Tests;

/// <summary>Contact sheet argument checks.</summary>
public class ContactSheetTests
{
    [Theory]
    [InlineData(double.NaN)]
    [InlineData(0.2)]
    [InlineData(double.PositiveInfinity)]
    public void ContactSheetRejectsAScaleOutsideAQuarterToOneInsteadOfCrashing(double scale)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ContactSheet.Build(1, 1, 1, scale));
    }
}
