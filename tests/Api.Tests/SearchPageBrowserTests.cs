using System.Globalization;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using OpenQA.Selenium;
using SanReid.Api.Tests.Infrastructure;
using SixLabors.ImageSharp;
using static SanReid.Api.Tests.Infrastructure.ApiClient;

namespace SanReid.Api.Tests;

/// <summary>
/// Issue 13: the search page at "/" in a real browser (Debian's headless Chromium through Selenium) against the real
/// server on a free port. What the page shows must be what the JSON API answers for the same query. Screenshots land
/// in tests/Api.Tests/TestResults/browser.
/// </summary>
public class SearchPageBrowserTests(SearchPageBrowserTests.Fixture fixture) : IClassFixture<SearchPageBrowserTests.Fixture>
{
    private readonly HttpClient _client = fixture.Server.CreateClient();
    private HeadlessChromium Chromium => fixture.Chromium;

    /// <summary>One server (and gallery) and one browser for the class.</summary>
    public sealed class Fixture : IDisposable
    {
        public ApiFactory Server { get; } = new();
        public HeadlessChromium Chromium { get; } = HeadlessChromium.Start();

        /// <summary>The server's own address (Kestrel on a free loopback port).</summary>
        public string BaseUrl => Server.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

        public void Dispose()
        {
            Chromium.Dispose();
            Server.Dispose();
        }
    }

    [Fact]
    public async Task AQueryUploadedInThePageShowsTheMatchesOfTheJsonApiAndAMatchCanBeSearchedWith()
    {
        string label = "page-search";
        string query = await FillGallery(label);

        OpenPage();
        Type("label", label);
        Type("k", "8");
        Chromium.Web.FindElement(By.Id("query-file")).SendKeys(query);
        Chromium.WaitFor(_ => Chromium.State == "done", "results of the uploaded query");

        var api = await SearchApi(File.ReadAllBytes(query), Path.GetFileName(query), label, k: 8);
        AssertPageShows(api);
        Assert.Equal($"Query crop: {Path.GetFileName(query)}", Chromium.Web.FindElement(By.Id("query-image")).GetAttribute("alt"));
        Assert.Empty(Chromium.Overflowing());
        Chromium.Screenshot("search-1280");

        // Phone width: one column, nothing wider than the screen.
        try
        {
            Chromium.Window(390, 844);
            Assert.True((long)Chromium.Web.ExecuteScript("return window.innerWidth;")! <= 390);
            Assert.Empty(Chromium.Overflowing());
            Chromium.Screenshot("search-390");
        }
        finally
        {
            Chromium.Window(1280, 900);
        }

        // Choosing a match (keyboard: it is a button) searches with its stored crop: same as the API with those bytes.
        var second = api.GetProperty("matches")[1];
        long secondId = second.GetProperty("id").GetInt64();
        var button = Chromium.Web.FindElement(By.CssSelector($"li.match[data-id='{secondId}'] button"));
        button.SendKeys(Keys.Enter);
        Chromium.WaitFor(_ => Chromium.State == "done" && Chromium.Text("query-caption") == $"gallery item {secondId}", "results of the chosen match");
        byte[] stored = await _client.GetByteArrayAsync(second.GetProperty("image_url").GetString());
        AssertPageShows(await SearchApi(stored, $"gallery-{secondId}.jpg", label, k: 8));
        Assert.Equal("results-heading", Chromium.Web.SwitchTo().ActiveElement().GetAttribute("id")); // focus follows the new results
    }

    [Fact]
    public async Task ARefusedUploadShowsTheProblemDetailsTitleAndDetailOfTheApi()
    {
        // A JPEG signature followed by garbage: refused by the decoder (400), never a blank page.
        byte[] corrupt = [0xFF, 0xD8, 0xFF, 0xE0, .. Enumerable.Range(0, 600).Select(i => (byte)(i * 37 % 251))];
        string path = Path.Combine(Path.GetTempPath(), $"corrupt-{Guid.NewGuid():N}.jpg");
        await File.WriteAllBytesAsync(path, corrupt);
        try
        {
            OpenPage();
            Chromium.Web.FindElement(By.Id("query-file")).SendKeys(path);
            Chromium.WaitFor(_ => Chromium.State == "error", "the error of the refused upload");

            var response = await _client.PostAsync("/api/v1/search", Form(new Upload("image", Path.GetFileName(path), corrupt)));
            var problem = await ReadJson(response);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.True(Chromium.Web.FindElement(By.Id("error")).Displayed);
            Assert.Equal(problem.GetProperty("title").GetString(), Chromium.Text("error-title"));
            Assert.Equal(problem.GetProperty("detail").GetString(), Chromium.Text("error-detail"));
            Assert.Equal($"({problem.GetProperty("code").GetString()})", Chromium.Text("error-code"));
            Assert.Equal("alert", Chromium.Web.FindElement(By.Id("error")).GetAttribute("role"));
            Chromium.Screenshot("refused-upload");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task CropsAreAddedFromThePageOnlyWithAKeyThatAllowsIt()
    {
        string crop = Path.Combine(Path.GetTempPath(), $"add-{Guid.NewGuid():N}.jpg");
        await File.WriteAllBytesAsync(crop, GeneratedJpeg(1350));
        try
        {
            OpenPage(withKey: false);
            Chromium.Web.FindElement(By.CssSelector("#add-panel summary")).Click();
            Chromium.Web.FindElement(By.Id("add-files")).SendKeys(crop);
            Type("add-camera", "4");
            Type("add-label", "page-add");
            Chromium.Web.FindElement(By.Id("add")).Click();
            Chromium.WaitFor(_ => Chromium.State == "error", "the refusal without a key");
            Assert.Equal("(api_key_required)", Chromium.Text("error-code"));

            // The refused form keeps its crop and fields: typing the key and adding again is enough.
            SetKey(ApiFactory.ApiKey);
            Chromium.Web.FindElement(By.Id("add")).Click();
            Chromium.WaitFor(_ => Chromium.Text("add-status").StartsWith("Added 1", StringComparison.Ordinal), "the add with a key");

            var listed = await ReadJson(await _client.GetAsync("/api/v1/gallery?label=page-add"));
            var item = Assert.Single(listed.GetProperty("items").EnumerateArray());
            Assert.Equal(4, item.GetProperty("camera_id").GetInt32());
            Assert.Equal(Path.GetFileName(crop), item.GetProperty("file_name").GetString());
            Assert.Contains($"id {item.GetProperty("id").GetInt64()}", Chromium.Text("add-status"));
            // Kept for the tab: a reload still sends it.
            Chromium.Web.Navigate().Refresh();
            Assert.Equal(ApiFactory.ApiKey, Chromium.Web.ExecuteScript("return sessionStorage.getItem('sanreid.apiKey');"));
        }
        finally
        {
            File.Delete(crop);
        }
    }

    [Fact]
    public async Task ThePageAndSwaggerAreServedWithTheirHeaders()
    {
        var page = await _client.GetAsync("/");
        var swagger = await _client.GetAsync("/swagger/index.html");

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Contains("default-src 'self'", page.Headers.GetValues("Content-Security-Policy").Single());
        Assert.Contains("<script type=\"module\" src=\"app.js\">", await page.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, swagger.StatusCode);
    }

    private void OpenPage(bool withKey = true)
    {
        Chromium.Web.Navigate().GoToUrl(fixture.BaseUrl + "/");
        Chromium.Web.ExecuteScript("sessionStorage.clear();");
        Chromium.Web.Navigate().Refresh();
        Chromium.WaitFor(_ => Chromium.State == "idle", "the page script");
        if (withKey)
            SetKey(ApiFactory.ApiKey);
    }

    private void SetKey(string key)
    {
        Type("api-key", key);
        Chromium.Web.FindElement(By.CssSelector("#key-form button[type=submit]")).Click();
        Chromium.WaitFor(_ => Chromium.Text("status") == "API key set for this tab.", "the key");
    }

    private void Type(string id, string text)
    {
        var input = Chromium.Web.FindElement(By.Id(id));
        input.Clear();
        input.SendKeys(text);
    }

    /// <summary>Each shown match (in order) has the API's id, score (3 decimals), camera and image, and the thumbnail is
    /// that image (same pixel size as the bytes the API serves).</summary>
    private void AssertPageShows(JsonElement api)
    {
        var expected = api.GetProperty("matches").EnumerateArray().ToList();
        var shown = Chromium.Web.FindElements(By.CssSelector("#matches li.match"));
        Assert.Equal(expected.Select(m => m.GetProperty("id").GetInt64().ToString(CultureInfo.InvariantCulture)), shown.Select(li => li.GetAttribute("data-id")));
        for (int i = 0; i < expected.Count; i++)
        {
            var m = expected[i];
            var li = shown[i];
            Assert.Equal(m.GetProperty("score").GetDouble().ToString("F3", CultureInfo.InvariantCulture), li.FindElement(By.CssSelector("dd.score")).Text);
            Assert.Equal(m.GetProperty("camera_id").GetInt32().ToString(CultureInfo.InvariantCulture), li.FindElement(By.CssSelector("dd.camera")).Text);
            Assert.Equal(m.GetProperty("id").GetInt64().ToString(CultureInfo.InvariantCulture), li.FindElement(By.CssSelector("dd.id")).Text);
            var img = li.FindElement(By.TagName("img"));
            string imageUrl = m.GetProperty("image_url").GetString()!;
            Assert.Equal(imageUrl, img.GetAttribute("data-image-url"));
            var natural = (IReadOnlyCollection<object>)Chromium.Web.ExecuteScript("return [arguments[0].naturalWidth, arguments[0].naturalHeight];", img)!;
            var info = Image.Identify(_client.GetByteArrayAsync(imageUrl).GetAwaiter().GetResult());
            Assert.Equal(new object[] { (long)info.Width, (long)info.Height }, natural);
        }
    }

    private async Task<JsonElement> SearchApi(byte[] image, string fileName, string label, int k)
    {
        var response = await _client.PostAsync("/api/v1/search", Form(new Upload("image", fileName, image), ("label", label), ("k", k.ToString(CultureInfo.InvariantCulture))));
        var body = await ReadJson(response);
        Assert.True(response.StatusCode == HttpStatusCode.OK, body.ToString());
        Assert.True(body.GetProperty("count").GetInt32() >= 2, body.ToString());
        return body;
    }

    /// <summary>Adds the Market-1501 sample's gallery (camera and capture time from the file names), or 16 generated crops
    /// where ../shared is absent; returns a query file on disk.</summary>
    private async Task<string> FillGallery(string label)
    {
        var t0 = new DateTimeOffset(2026, 4, 1, 8, 0, 0, TimeSpan.Zero);
        if (RepoPaths.HasMarketMini)
        {
            string gallery = Path.Combine(RepoPaths.MarketMini, "bounding_box_test");
            foreach (string file in Directory.GetFiles(gallery, "*.jpg").Order())
            {
                // pppp_cCsS_ffffff_nn.jpg: camera C, frame f at 25 frames/s.
                string[] parts = Path.GetFileNameWithoutExtension(file).Split('_');
                int camera = int.Parse(parts[1][1..parts[1].IndexOf('s')], CultureInfo.InvariantCulture);
                var captured = t0.AddSeconds(int.Parse(parts[2], CultureInfo.InvariantCulture) / 25.0);
                var added = await _client.PostAsync("/api/v1/gallery", Form(new Upload("images", Path.GetFileName(file), File.ReadAllBytes(file)),
                    ("camera_id", camera.ToString(CultureInfo.InvariantCulture)), ("label", label), ("captured_at", captured.ToString("O"))));
                Assert.Equal(HttpStatusCode.Created, added.StatusCode);
            }

            return Path.Combine(RepoPaths.MarketMini, "query", "0003_c1s6_015971_00.jpg");
        }

        for (int i = 0; i < 16; i++)
        {
            var added = await _client.PostAsync("/api/v1/gallery", Form(new Upload("images", $"synthetic-{i}.jpg", GeneratedJpeg(1400 + i)),
                ("camera_id", (1 + i % 4).ToString(CultureInfo.InvariantCulture)), ("label", label), ("captured_at", t0.AddMinutes(i).ToString("O"))));
            Assert.Equal(HttpStatusCode.Created, added.StatusCode);
        }

        string query = Path.Combine(Path.GetTempPath(), $"query-{Guid.NewGuid():N}.jpg");
        await File.WriteAllBytesAsync(query, GeneratedJpeg(1403));
        return query;
    }
}
