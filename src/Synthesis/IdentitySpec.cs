namespace SanReid.Synthesis;

/// <summary>Hair length, painted on the head and (when long) down the neck and upper back.</summary>
public enum HairLength { Bald, Short, Medium, Long }

/// <summary>
/// The pattern of the top (shirt, jacket). <see cref="Noise"/> (smooth random blobs in two colours) and
/// <see cref="Patches"/> (random rectangles in three colours) are RandPerson-like random textures (Wang et al., ACM MM
/// 2020): less realistic than stripes, but they stop a model from learning a small set of designs.
/// </summary>
public enum TopPattern { Plain, Stripes, Checks, Noise, Patches }

/// <summary>A print on the chest or on the back of the top.</summary>
public enum PrintShape { None, Disc, Square, Triangle, Bars, Diamond, Ring, Cross, Text }

/// <summary>Leg wear.</summary>
public enum BottomKind { Trousers, Shorts, Skirt }

/// <summary>What the person carries.</summary>
public enum BagKind { None, Backpack, ShoulderBag }

/// <summary>
/// Everything that makes a synthetic identity: the person's appearance, painted into a UV texture by
/// <see cref="TexturePainter"/>. Rendering parameters (pose, view, light) are not part of an identity.
/// </summary>
public sealed record IdentitySpec(
    Rgb Skin,
    Rgb Hair,
    HairLength HairLength,
    Rgb Top,
    Rgb TopSecondary,
    TopPattern Pattern,
    bool LongSleeves,
    PrintShape FrontPrint,
    Rgb FrontPrintColour,
    PrintShape BackPrint,
    Rgb BackPrintColour,
    BottomKind Bottom,
    Rgb BottomColour,
    Rgb Shoes,
    BagKind Bag,
    Rgb BagColour,
    int DetailSeed)
{
    private static readonly Rgb[] SkinTones =
    [
        new(255, 224, 196), new(241, 194, 160), new(224, 172, 130), new(198, 140, 100),
        new(160, 110, 75), new(120, 80, 55), new(90, 60, 42),
    ];

    private static readonly Rgb[] HairColours =
    [
        new(20, 16, 14), new(40, 28, 20), new(70, 45, 28), new(110, 75, 45), new(160, 120, 70), new(200, 170, 110),
        new(120, 120, 120),
    ];

    // Clothing colours weighted towards what street crops show: dark and neutral tones, then saturated ones.
    private static readonly Rgb[] Clothing =
    [
        new(20, 20, 22), new(35, 35, 40), new(60, 60, 64), new(110, 110, 112), new(170, 170, 168), new(235, 235, 232),
        new(250, 250, 250), new(25, 35, 75), new(40, 60, 120), new(70, 110, 170), new(130, 170, 210),
        new(150, 25, 30), new(210, 40, 45), new(235, 120, 140), new(240, 200, 60), new(240, 140, 40),
        new(40, 110, 60), new(100, 150, 80), new(90, 60, 40), new(150, 120, 85), new(200, 180, 140),
        new(100, 50, 120), new(160, 100, 190), new(20, 130, 140),
    ];

    /// <summary>Draws an identity from <paramref name="random"/> (deterministic for a given generator state).</summary>
    public static IdentitySpec Generate(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        Rgb top = ClothingColour(random);
        TopPattern pattern = random.NextDouble() switch
        {
            < 0.45 => TopPattern.Plain,
            < 0.62 => TopPattern.Stripes,
            < 0.75 => TopPattern.Checks,
            < 0.88 => TopPattern.Noise,
            _ => TopPattern.Patches,
        };
        BottomKind bottom = random.NextDouble() switch { < 0.6 => BottomKind.Trousers, < 0.85 => BottomKind.Shorts, _ => BottomKind.Skirt };
        HairLength hair = random.NextDouble() switch { < 0.05 => HairLength.Bald, < 0.55 => HairLength.Short, < 0.75 => HairLength.Medium, _ => HairLength.Long };
        BagKind bag = random.NextDouble() switch { < 0.6 => BagKind.None, < 0.82 => BagKind.Backpack, _ => BagKind.ShoulderBag };
        return new IdentitySpec(
            Skin: Jitter(random, Pick(random, SkinTones), 8),
            Hair: Jitter(random, Pick(random, HairColours), 6),
            HairLength: hair,
            Top: Jitter(random, top, 10),
            TopSecondary: Contrasting(random, top),
            Pattern: pattern,
            LongSleeves: random.NextDouble() < 0.4,
            FrontPrint: random.NextDouble() < 0.35 ? PickPrint(random) : PrintShape.None,
            FrontPrintColour: Contrasting(random, top),
            BackPrint: random.NextDouble() < 0.25 ? PickPrint(random) : PrintShape.None,
            BackPrintColour: Contrasting(random, top),
            Bottom: bottom,
            BottomColour: Jitter(random, ClothingColour(random), 10),
            Shoes: Jitter(random, Pick(random, Clothing), 10),
            Bag: bag,
            BagColour: Jitter(random, ClothingColour(random), 10),
            DetailSeed: random.Next());
    }

    /// <summary>
    /// A hard negative for re-ID: a different identity with this one's colours that differs only in the top's
    /// pattern, a front print, a back print or the bag (chosen by <paramref name="random"/>).
    /// </summary>
    public IdentitySpec HardNegative(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        IdentitySpec other = this with { DetailSeed = random.Next() };
        switch (random.Next(4))
        {
            case 0:
                int patterns = Enum.GetValues<TopPattern>().Length;
                TopPattern pattern = (TopPattern)(((int)Pattern + 1 + random.Next(patterns - 1)) % patterns);
                return other with { Pattern = pattern };
            case 1:
                return other with { FrontPrint = DifferentPrint(random, FrontPrint), FrontPrintColour = Contrasting(random, Top) };
            case 2:
                return other with { BackPrint = DifferentPrint(random, BackPrint), BackPrintColour = Contrasting(random, Top) };
            default:
                BagKind bag = (BagKind)(((int)Bag + 1 + random.Next(2)) % 3);
                return other with { Bag = bag };
        }
    }

    /// <summary>
    /// This identity in plain single-colour clothing: no top pattern, no prints (<see cref="Randomisation.Textures"/>
    /// off). Colours, hair, sleeves, leg wear and bag are kept.
    /// </summary>
    public IdentitySpec Plain() => this with { Pattern = TopPattern.Plain, FrontPrint = PrintShape.None, BackPrint = PrintShape.None };

    private static PrintShape DifferentPrint(Random random, PrintShape current)
    {
        PrintShape print;
        do
        {
            print = PickPrint(random);
        }
        while (print == current);
        return print;
    }

    private static PrintShape PickPrint(Random random) => (PrintShape)(1 + random.Next(8));

    /// <summary>A clothing colour: 70 % from the street palette, 30 % any hue (HSV: saturation 0.25-1, value 0.2-0.95).</summary>
    private static Rgb ClothingColour(Random random)
    {
        if (random.NextDouble() < 0.7)
        {
            return Pick(random, Clothing);
        }

        double h = random.NextDouble() * 6, sat = 0.25 + random.NextDouble() * 0.75, val = (0.2 + random.NextDouble() * 0.75) * 255;
        double f = h - Math.Floor(h), p = val * (1 - sat), q = val * (1 - sat * f), t = val * (1 - sat * (1 - f));
        return (int)h switch
        {
            0 => Rgb.FromDoubles(val, t, p),
            1 => Rgb.FromDoubles(q, val, p),
            2 => Rgb.FromDoubles(p, val, t),
            3 => Rgb.FromDoubles(p, q, val),
            4 => Rgb.FromDoubles(t, p, val),
            _ => Rgb.FromDoubles(val, p, q),
        };
    }

    private static Rgb Pick(Random random, Rgb[] palette) => palette[random.Next(palette.Length)];

    private static Rgb Jitter(Random random, Rgb colour, int amount) => Rgb.FromDoubles(
        colour.R + random.Next(-amount, amount + 1),
        colour.G + random.Next(-amount, amount + 1),
        colour.B + random.Next(-amount, amount + 1));

    /// <summary>A palette colour whose luma differs from <paramref name="colour"/> by at least 60.</summary>
    private static Rgb Contrasting(Random random, Rgb colour)
    {
        for (int i = 0; ; i++)
        {
            Rgb candidate = Pick(random, Clothing);
            if (Math.Abs(candidate.Luma - colour.Luma) >= 60 || i > 20)
            {
                return candidate;
            }
        }
    }
}
