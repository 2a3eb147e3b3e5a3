using SanReid.Trainer.Data;

namespace SanReid.Trainer.Tests.Data;

public sealed class Market1501NameTests
{
    [Fact]
    public void ParsesEveryFieldOfAMarketName()
    {
        var name = Market1501Name.Parse("0002_c1s1_000451_03.jpg");

        Assert.Equal(new Market1501Name(2, 1, 1, 451, 3), name);
    }

    [Fact]
    public void ParsesJunkPersonIdMinusOne()
    {
        var name = Market1501Name.Parse("-1_c4s6_015741_04.jpg");

        Assert.Equal(-1, name.Pid);
        Assert.Equal(4, name.CamId);
        Assert.Equal(6, name.Sequence);
    }

    [Theory]
    [InlineData("0000_c14s2_012345_00.jpg", 0, 14)]
    [InlineData("1041_c10s1_000001_02.jpg", 1041, 10)]
    [InlineData("0123_c15s4_999999_11.png", 123, 15)]
    public void ParsesCameraIdsOfMoreThanOneDigit(string file, int pid, int camId)
    {
        var name = Market1501Name.Parse(file);

        Assert.Equal(pid, name.Pid);
        Assert.Equal(camId, name.CamId);
    }

    [Fact]
    public void ParsesDukeNamesWithoutSequenceOrBox()
    {
        var name = Market1501Name.Parse("/data/duke/query/0005_c2_f0046985.jpg");

        Assert.Equal(new Market1501Name(5, 2, null, 46985, null), name);
    }

    [Theory]
    [InlineData("abc.jpg")]
    [InlineData("0001c1s1_000451_03.jpg")]
    [InlineData("0001_s1_000451_03.jpg")]
    [InlineData("0001_cXs1_000451_03.jpg")]
    [InlineData("0001_c0s1_000451_03.jpg")]
    [InlineData("-2_c1s1_000451_03.jpg")]
    [InlineData("0001_c1s1_000451_03.txt")]
    [InlineData("99999999999_c1s1_000451_03.jpg")]
    [InlineData("")]
    public void RefusesNamesThatDoNotParseAndNamesTheFile(string file)
    {
        var error = Assert.Throws<ReidFileNameException>(() => Market1501Name.Parse(file));

        Assert.IsAssignableFrom<FormatException>(error);
        Assert.Equal(file, error.FileName);
        Assert.Contains($"'{file}'", error.Message);
        Assert.False(Market1501Name.TryParse(file, out _));
    }

    [SharedDataFact("data/market-mini")]
    public void ParsesEveryRealNameInMarketMini()
    {
        var root = SharedData.Require("data/market-mini");
        var files = Directory.EnumerateFiles(root, "*.jpg", SearchOption.AllDirectories).ToList();
        Assert.NotEmpty(files);

        foreach (var file in files)
        {
            var name = Market1501Name.Parse(file);
            var fileName = Path.GetFileName(file);

            Assert.Equal(int.Parse(fileName[..fileName.IndexOf('_')]), name.Pid);
            Assert.InRange(name.CamId, 1, 6);
            Assert.Equal(fileName[fileName.IndexOf("_c")..].Substring(2, 1), name.CamId.ToString());
            Assert.NotNull(name.Sequence);
            Assert.NotNull(name.Frame);
            Assert.NotNull(name.Box);
        }
    }
}
