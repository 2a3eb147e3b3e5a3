using System.Globalization;
using System.Text;

namespace SanReid.Api.Services;

/// <summary>
/// The care every text from a client gets before the Api stores it or writes it back: Unicode NFC normalisation (so
/// one label typed as "e" + combining acute and as "é" is one label), no control or invisible format characters, a
/// length cap. Used for upload file names (<see cref="FileName"/>), text fields (<see cref="RequestParsing.Text"/>) and
/// any client text quoted in an error detail (<see cref="ForDisplay"/>).
/// </summary>
public static class ClientText
{
    /// <summary>Longest stored upload file name, in UTF-16 code units: 255 (a file-system name's usual limit).</summary>
    public const int MaxFileNameLength = 255;

    /// <summary>What an upload with no usable name is called.</summary>
    public const string UnnamedUpload = "upload";

    /// <summary>U+FFFD, what a decoder puts where bytes were not valid text.</summary>
    public const char ReplacementCharacter = '\uFFFD';

    /// <summary>
    /// The name of an upload as it is stored and returned (<c>file_name</c>): the last path segment (both <c>/</c> and
    /// <c>\</c> separate), with every hidden character (<see cref="IsHidden"/>) removed, then NFC-normalised, trimmed, at most
    /// <see cref="MaxFileNameLength"/> characters (never splitting a surrogate pair). U+FFFD REPLACEMENT CHARACTER (bytes
    /// that were not UTF-8) is removed too. Empty, <c>.</c> or <c>..</c> becomes <see cref="UnnamedUpload"/>. Examples:
    /// <c>C:\cams\7\crop.jpg</c> → <c>crop.jpg</c>; <c>crop</c> U+202E <c>gnp.exe</c> → <c>cropgnp.exe</c>;
    /// <c>caf</c> U+FFFD <c>.jpg</c> → <c>caf.jpg</c>.
    /// </summary>
    public static string FileName(string? raw)
    {
        string name = (raw ?? "").Replace('\\', '/');
        name = name[(name.LastIndexOf('/') + 1)..];
        var kept = new StringBuilder(name.Length);
        for (int i = 0; i < name.Length; i += Width(name, i))
        {
            // U+FFFD is what undecodable bytes of the name became (raw Latin-1 "caf\xE9.jpg", filename*=UTF-8''%FF): not
            // text the client sent. Text fields are refused for it; a file name is informational, so it is dropped.
            if (!IsHiddenAt(name, i) && name[i] != ReplacementCharacter)
                kept.Append(name, i, Width(name, i));
        }
        // Normalised after the hidden characters are gone: one between a letter and its combining mark would otherwise
        // keep the pair apart through NFC and leave the name decomposed.
        name = Nfc(kept.ToString()).Trim();
        if (name.Length > MaxFileNameLength)
            name = name[..(char.IsHighSurrogate(name[MaxFileNameLength - 1]) ? MaxFileNameLength - 1 : MaxFileNameLength)].TrimEnd();
        return name is "" or "." or ".." ? UnnamedUpload : name;
    }

    /// <summary>
    /// Client text quoted in an error detail: NFC, every hidden character written as <c>\uXXXX</c> (so a bidi override
    /// cannot reorder the message it is quoted in), clipped to <paramref name="maxLength"/> characters and "…".
    /// </summary>
    public static string ForDisplay(string? value, int maxLength = 40)
    {
        var text = Nfc(value ?? "");
        var shown = new StringBuilder(Math.Min(text.Length, maxLength) + 8);
        for (int i = 0; i < text.Length; i += Width(text, i))
        {
            if (shown.Length >= maxLength)
            {
                shown.Append('…');
                break;
            }
            if (IsHiddenAt(text, i))
            {
                for (int j = i; j < i + Width(text, i); j++)
                    shown.Append($"\\u{(int)text[j]:X4}");
            }
            else
            {
                shown.Append(text, i, Width(text, i));
            }
        }
        return shown.ToString();
    }

    /// <summary>
    /// <paramref name="value"/> with every hidden character (<see cref="IsHidden"/>) written as <c>\uXXXX</c>, nothing
    /// cut: for whole messages that may quote client text (every ProblemDetails detail passes through it).
    /// </summary>
    public static string EscapeHidden(string value)
    {
        if (!HasHidden(value))
            return value;
        var shown = new StringBuilder(value.Length + 16);
        for (int i = 0; i < value.Length; i += Width(value, i))
        {
            if (IsHiddenAt(value, i))
            {
                for (int j = i; j < i + Width(value, i); j++)
                    shown.Append($"\\u{(int)value[j]:X4}");
            }
            else
            {
                shown.Append(value, i, Width(value, i));
            }
        }
        return shown.ToString();
    }

    /// <summary>
    /// <paramref name="value"/> in Unicode Normalization Form C (canonical composition, UAX #15). Invalid UTF-16 (a lone
    /// surrogate) is returned unchanged: it cannot be normalised, and <see cref="IsHidden"/> refuses or removes it anyway.
    /// </summary>
    public static string Nfc(string value)
    {
        try
        {
            return value.IsNormalized(NormalizationForm.FormC) ? value : value.Normalize(NormalizationForm.FormC);
        }
        catch (ArgumentException)
        {
            return value; // lone surrogate
        }
    }

    /// <summary>
    /// Stops start-up when Unicode normalisation does not work: in globalization-invariant mode (e.g.
    /// <c>DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1</c>) <see cref="string.Normalize()"/> returns its input unchanged,
    /// which would silently keep two spellings of one label apart.
    /// </summary>
    /// <exception cref="InvalidOperationException">Normalisation is a no-op in this process.</exception>
    public static void EnsureNormalizationWorks()
    {
        if (Nfc("e\u0301") != "\u00E9")
        {
            throw new InvalidOperationException(
                "Unicode normalisation is unavailable (globalization-invariant mode, or ICU missing): the Api normalises " +
                "client text to NFC. Unset DOTNET_SYSTEM_GLOBALIZATION_INVARIANT and install ICU (Debian: libicu72).");
        }
    }

    /// <summary>
    /// A character no one should have to see to know it is there: control characters (Cc), invisible format characters
    /// (Cf: bidi overrides and isolates such as U+202E, zero-width space, BOM) except the zero-width (non-)joiners
    /// U+200C / U+200D that emoji and some scripts need, line and paragraph separators (Zl, Zp), lone surrogate halves
    /// (Cs: invalid UTF-16) and unassigned code points (Cn).
    /// </summary>
    public static bool IsHidden(char c) => c is not '\u200C' and not '\u200D' && IsHiddenCategory(char.GetUnicodeCategory(c));

    /// <summary>True when <paramref name="value"/> has a hidden character (<see cref="IsHidden"/>), a surrogate pair
    /// counting as the code point it encodes.</summary>
    public static bool HasHidden(string value)
    {
        for (int i = 0; i < value.Length; i += Width(value, i))
        {
            if (IsHiddenAt(value, i))
                return true;
        }
        return false;
    }

    // The code point at i is a valid surrogate pair (2 code units) or one code unit (a BMP character or a lone surrogate).
    private static int Width(string s, int i) =>
        char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]) ? 2 : 1;

    private static bool IsHiddenAt(string s, int i) => Width(s, i) == 2
        ? IsHiddenCategory(CharUnicodeInfo.GetUnicodeCategory(s, i))
        : IsHidden(s[i]);

    private static bool IsHiddenCategory(UnicodeCategory category) => category is UnicodeCategory.Control or UnicodeCategory.Format
        or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator or UnicodeCategory.Surrogate
        or UnicodeCategory.OtherNotAssigned;
}
