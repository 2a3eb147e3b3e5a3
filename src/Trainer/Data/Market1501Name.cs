using System.Globalization;
using System.Text.RegularExpressions;

namespace SanReid.Trainer.Data;

/// <summary>
/// The identity and camera encoded in a re-ID crop's file name, Market-1501 style:
/// <c>PPPP_cCsS_FFFFFF_NN.jpg</c> = person id, camera, video sequence, frame, bounding box
/// (Zheng et al., "Scalable Person Re-identification: A Benchmark", ICCV 2015; the dataset's README).
/// </summary>
/// <remarks>
/// <para>Accepted shapes (case-insensitive extension <c>.jpg .jpeg .png .bmp</c>):</para>
/// <list type="bullet">
/// <item><c>0002_c1s1_000451_03.jpg</c> Market-1501: pid 2, camera 1, sequence 1, frame 451, box 3.</item>
/// <item><c>-1_c1s1_000401_03.jpg</c> Market-1501 junk: pid -1.</item>
/// <item><c>0000_c14s2_012345_00.jpg</c> MSMT17 converted to Market style: camera ids of more than one digit.</item>
/// <item><c>0001_c2_f0046182.jpg</c> DukeMTMC-reID: no sequence, frame 46182, no box.</item>
/// <item><c>0001_c1_1.png</c> CUHK03-NP: no sequence, frame (image number) 1, no box.</item>
/// </list>
/// <para>Protocol meaning (DESIGN.md "Evaluation protocol"): pid -1 is junk, pid 0 a distractor. Person ids below -1
/// and camera id 0 are refused.</para>
/// </remarks>
/// <param name="Pid">Person id; -1 = junk, 0 = distractor, otherwise an identity.</param>
/// <param name="CamId">Camera id, 1-based as written in the name (1..6 Market, 1..8 Duke, 1..15 MSMT17).</param>
/// <param name="Sequence">Video sequence number after <c>s</c>, or null when the name has none.</param>
/// <param name="Frame">Frame number, or null when the name has none.</param>
/// <param name="Box">Bounding-box number within the frame, or null when the name has none.</param>
public readonly partial record struct Market1501Name(int Pid, int CamId, int? Sequence, long? Frame, int? Box)
{
    [GeneratedRegex(
        @"^(?<pid>-?\d+)_c(?<cam>\d+)(?:s(?<seq>\d+))?(?:_f?(?<frame>\d+))?(?:_(?<box>\d+))?\.(?:jpe?g|png|bmp)$",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();

    /// <summary>Parses the file name part of <paramref name="fileNameOrPath"/> (any directory part is ignored).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="fileNameOrPath"/> is null.</exception>
    /// <exception cref="ReidFileNameException">The name does not follow the rule; the message names the file.</exception>
    public static Market1501Name Parse(string fileNameOrPath)
    {
        ArgumentNullException.ThrowIfNull(fileNameOrPath);
        return TryParseCore(fileNameOrPath, out var name, out var reason)
            ? name
            : throw new ReidFileNameException(fileNameOrPath, reason);
    }

    /// <summary>As <see cref="Parse"/>, returning false instead of throwing.</summary>
    public static bool TryParse(string? fileNameOrPath, out Market1501Name name)
    {
        if (fileNameOrPath is null)
        {
            name = default;
            return false;
        }

        return TryParseCore(fileNameOrPath, out name, out _);
    }

    private static bool TryParseCore(string fileNameOrPath, out Market1501Name name, out string reason)
    {
        name = default;
        var fileName = Path.GetFileName(fileNameOrPath);
        var match = NamePattern().Match(fileName);
        if (!match.Success)
        {
            reason = "expected PPPP_cCsS_FFFFFF_NN.jpg (person id, camera, sequence, frame, box)";
            return false;
        }

        if (!int.TryParse(match.Groups["pid"].ValueSpan, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var pid) || pid < -1)
        {
            reason = $"person id '{match.Groups["pid"].Value}' is not -1 or a non-negative 32-bit integer";
            return false;
        }

        if (!int.TryParse(match.Groups["cam"].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var cam) || cam < 1)
        {
            reason = $"camera id '{match.Groups["cam"].Value}' is not a positive 32-bit integer";
            return false;
        }

        int? sequence = null;
        if (match.Groups["seq"].Success)
        {
            if (!int.TryParse(match.Groups["seq"].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var s))
            {
                reason = $"sequence '{match.Groups["seq"].Value}' is out of range";
                return false;
            }

            sequence = s;
        }

        long? frame = null;
        if (match.Groups["frame"].Success)
        {
            if (!long.TryParse(match.Groups["frame"].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var f))
            {
                reason = $"frame '{match.Groups["frame"].Value}' is out of range";
                return false;
            }

            frame = f;
        }

        int? box = null;
        if (match.Groups["box"].Success)
        {
            if (!int.TryParse(match.Groups["box"].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var b))
            {
                reason = $"box '{match.Groups["box"].Value}' is out of range";
                return false;
            }

            box = b;
        }

        name = new Market1501Name(pid, cam, sequence, frame, box);
        reason = string.Empty;
        return true;
    }
}
