using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using OpenQA.Selenium.Support.UI;

namespace SanReid.Api.Tests.Infrastructure;

/// <summary>
/// Debian's Chromium, headless, driven through Debian's chromium-driver (scripts/setup.sh installs both; nothing is
/// downloaded: Selenium Manager is kept offline and both paths are given). Screenshots go to
/// <see cref="ArtifactsDirectory"/> (TestResults/browser under the test project).
/// </summary>
public sealed class HeadlessChromium : IDisposable
{
    public const string Browser = "/usr/bin/chromium";
    public const string Driver = "/usr/bin/chromedriver";

    private HeadlessChromium(ChromeDriver driver) => Web = driver;

    public ChromeDriver Web { get; }

    /// <summary>Where screenshots are saved: tests/Api.Tests/TestResults/browser (git-ignored).</summary>
    public static string ArtifactsDirectory { get; } = Path.Combine(RepoPaths.Root, "tests", "Api.Tests", "TestResults", "browser");

    /// <summary>Starts Chromium with a 1280 x 900 window.</summary>
    /// <exception cref="InvalidOperationException">Chromium or its driver is not installed (names scripts/setup.sh).</exception>
    public static HeadlessChromium Start()
    {
        if (!File.Exists(Browser) || !File.Exists(Driver))
        {
            throw new InvalidOperationException(
                $"The browser tests need Debian's chromium ({Browser}) and chromium-driver ({Driver}): run scripts/setup.sh (apt-get install chromium chromium-driver).");
        }

        // Selenium Manager must not look for (or fetch) a browser or driver: both are given.
        Environment.SetEnvironmentVariable("SE_OFFLINE", "true");
        var options = new ChromeOptions { BinaryLocation = Browser };
        // --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
        options.AddArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1280,900",
            "--disable-extensions", "--no-first-run", "--lang=en-GB");
        var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(Driver)!, Path.GetFileName(Driver));
        service.SuppressInitialDiagnosticInformation = true;
        service.HideCommandPromptWindow = true;
        return new HeadlessChromium(new ChromeDriver(service, options, TimeSpan.FromSeconds(60)));
    }

    /// <summary>Waits until <paramref name="condition"/> holds (polling), failing with <paramref name="what"/> and the page's state.</summary>
    public T WaitFor<T>(Func<IWebDriver, T> condition, string what, int seconds = 60)
    {
        var wait = new WebDriverWait(Web, TimeSpan.FromSeconds(seconds)) { PollingInterval = TimeSpan.FromMilliseconds(50) };
        try
        {
            return wait.Until(condition);
        }
        catch (WebDriverTimeoutException)
        {
            Screenshot($"timeout-{what.Replace(' ', '-')}");
            throw new TimeoutException($"{what}: not after {seconds} s; page state '{State}', status '{Text("status")}', error '{Text("error")}'.");
        }
    }

    /// <summary>The page's own readiness signal (body[data-state]: loading, idle, busy, done, error).</summary>
    public string State => Web.FindElement(By.TagName("body")).GetAttribute("data-state") ?? "";

    public string Text(string id) => Web.FindElement(By.Id(id)).Text;

    /// <summary>Resizes the browser window (headless: the viewport) to <paramref name="width"/> x <paramref name="height"/>.</summary>
    public void Window(int width, int height) => Web.Manage().Window.Size = new System.Drawing.Size(width, height);

    /// <summary>Elements whose right edge lies beyond the page's width (what makes a horizontal scroll bar), as
    /// "tag#id.class right=N"; empty when the page fits.</summary>
    public IReadOnlyList<string> Overflowing()
    {
        var found = (IReadOnlyCollection<object>)Web.ExecuteScript("""
            const width = document.documentElement.clientWidth;
            return [...document.querySelectorAll('body *')]
              .filter(e => e.getClientRects().length && e.getBoundingClientRect().right > width + 0.5)
              .map(e => `${e.tagName.toLowerCase()}#${e.id}.${e.className} right=${Math.round(e.getBoundingClientRect().right)} of ${width}`);
            """)!;
        return [.. found.Select(o => (string)o)];
    }

    /// <summary>Saves a PNG of the viewport as <paramref name="name"/>.png; returns its path.</summary>
    public string Screenshot(string name)
    {
        Directory.CreateDirectory(ArtifactsDirectory);
        string path = Path.Combine(ArtifactsDirectory, name + ".png");
        Web.GetScreenshot().SaveAsFile(path);
        return path;
    }

    public void Dispose()
    {
        Web.Quit();
        Web.Dispose();
    }
}
