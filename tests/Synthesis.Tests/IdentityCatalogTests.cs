using SanReid.Synthesis;

namespace SanReid.Synthesis.Tests;

/// <summary>Identities: hard negatives share colours but not design, and never copy a copy.</summary>
public class IdentityCatalogTests
{
    [Fact]
    public void HardNegativeSharesColoursButHasADifferentTexture()
    {
        SynthIdentity[] people = IdentityCatalog.Create(seed: 21, first: 0, count: 60, hardNegativeFraction: 0.5);
        SynthIdentity hard = people.First(p => p.HardNegativeOf >= 0);
        SynthIdentity partner = people[hard.HardNegativeOf];

        Assert.Equal(partner.Spec.Top, hard.Spec.Top);
        Assert.Equal(partner.Spec.BottomColour, hard.Spec.BottomColour);
        Assert.Equal(partner.Spec.Skin, hard.Spec.Skin);
        Assert.Equal(partner.Spec.Shoes, hard.Spec.Shoes);
        bool sameDesign = partner.Spec.Pattern == hard.Spec.Pattern && partner.Spec.FrontPrint == hard.Spec.FrontPrint
            && partner.Spec.BackPrint == hard.Spec.BackPrint && partner.Spec.Bag == hard.Spec.Bag;
        Assert.False(sameDesign, "a hard negative must differ in pattern, a print or the bag");
        Assert.False(partner.Texture.Pixels.AsSpan().SequenceEqual(hard.Texture.Pixels));
    }

    [Fact]
    public void HardNegativesNeverChainAndAppearAtAboutTheAskedRate()
    {
        SynthIdentity[] people = IdentityCatalog.Create(seed: 2, first: 0, count: 400, hardNegativeFraction: 0.4);
        int hard = people.Count(p => p.HardNegativeOf >= 0);
        Assert.All(people.Where(p => p.HardNegativeOf >= 0), p => Assert.Equal(-1, people[p.HardNegativeOf].HardNegativeOf));
        // Without chains the rate is below the draw rate (a low draw right after a hard negative makes a fresh identity).
        Assert.InRange(hard, 60, 170);
    }

    [Fact]
    public void TooHighHardNegativeFractionIsRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => IdentityCatalog.Create(1, 0, 3, hardNegativeFraction: 0.95));
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(-0.1)]
    public void NaNOrNegativeHardNegativeFractionIsRejected(double fraction)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => IdentityCatalog.Create(1, 0, 3, hardNegativeFraction: fraction));
    }
}
