using SanReid.Api.Services;

namespace SanReid.Api.Tests;

/// <summary>The text rules of <see cref="ClientText"/> at their edges (the HTTP behaviour is in UploadTextTests).</summary>
public class ClientTextTests
{
    [Fact]
    public void FileNameCutAt255NeverSplitsASurrogatePair()
    {
        // 254 x, then an emoji (2 UTF-16 units at 254..255): cutting at 255 would keep half of it.
        string name = new string('x', 254) + "\U0001F600" + "tail.jpg";

        string kept = ClientText.FileName(name);

        Assert.Equal(new string('x', 254), kept);
    }

    [Fact]
    public void HiddenCharacterBetweenALetterAndItsAccentIsRemovedBeforeNormalising() =>
        // The tester's name: removed after NFC, the zero-width space kept "e" and U+0301 apart, leaving the name decomposed.
        Assert.Equal("Am\u00E9lie.jpg", ClientText.FileName("Ame\u200B\u0301lie.jpg"));

    [Fact]
    public void LoneSurrogateIsRemovedFromAFileName() => Assert.Equal("ab.jpg", ClientText.FileName("a\uD800b.jpg"));

    [Fact]
    public void ReplacementCharacterIsRemovedFromAFileName()
    {
        Assert.Equal("caf.jpg", ClientText.FileName("caf\uFFFD.jpg"));
        Assert.Equal(ClientText.UnnamedUpload, ClientText.FileName("\uFFFD\uFFFD"));
    }

    [Fact]
    public void ForDisplayEscapesHiddenCharactersAndClips()
    {
        Assert.Equal("a\\u202Eb", ClientText.ForDisplay("a\u202Eb"));
        Assert.Equal(new string('y', 40) + "…", ClientText.ForDisplay(new string('y', 100)));
        Assert.Equal("\U0001F600", ClientText.ForDisplay("\U0001F600")); // a valid pair is not "hidden"
    }

    [Fact]
    public void EscapeHiddenKeepsTheWholeMessage()
    {
        string message = "Expected a supported media type but got \"text/\u2066x\u2069\"; " + new string('z', 100);
        Assert.Equal("Expected a supported media type but got \"text/\\u2066x\\u2069\"; " + new string('z', 100), ClientText.EscapeHidden(message));
    }

    [Fact]
    public void JoinersOfEmojiSequencesAreNotHidden()
    {
        string family = "\U0001F468\u200D\U0001F469\u200D\U0001F467"; // man ZWJ woman ZWJ girl
        Assert.False(ClientText.HasHidden(family));
        Assert.Equal(family + ".jpg", ClientText.FileName(family + ".jpg"));
    }

    [Fact]
    public void NfcComposesAndLeavesInvalidUtf16Alone()
    {
        Assert.Equal("caf\u00E9", ClientText.Nfc("cafe\u0301"));
        Assert.Equal("a\uDC00", ClientText.Nfc("a\uDC00"));
    }
}
