using System.Net;
using System.Text.Json;
using SanReid.Api.Tests.Infrastructure;
using static SanReid.Api.Tests.Infrastructure.ApiClient;

namespace SanReid.Api.Tests;

/// <summary>Health endpoints, the model endpoint and the Swagger document, on the real server.</summary>
public class HealthAndModelTests(ApiFactory factory) : IClassFixture<ApiFactory>
{
    private readonly HttpClient _client = factory.CreateClient();

    [Fact]
    public async Task LivenessAnswersHealthy()
    {
        var response = await _client.GetAsync("/health/live");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", (await ReadJson(response)).GetProperty("status").GetString());
    }

    [Fact]
    public async Task ReadinessNamesTheExecutionProviderAndTheGallerySize()
    {
        var response = await _client.GetAsync("/health/ready");
        var body = await ReadJson(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", body.GetProperty("status").GetString());
        Assert.Contains(body.GetProperty("execution_provider").GetString(), new[] { "CPU", "CUDA" });
        Assert.True(body.GetProperty("gallery_items").GetInt64() >= 0);
        if (body.GetProperty("execution_provider").GetString() == "CPU")
            Assert.Contains("CUDA", body.GetProperty("provider_note").GetString()); // auto fell back: it says why
    }

    [Fact]
    public async Task ModelEndpointDescribesTheOnnxContract()
    {
        var response = await _client.GetAsync("/api/v1/model");
        var body = await ReadJson(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("sanreid-resnet18-imagenet.onnx", body.GetProperty("file_name").GetString());
        var input = body.GetProperty("input");
        Assert.Equal("images", input.GetProperty("name").GetString());
        Assert.Equal("uint8", input.GetProperty("element_type").GetString());
        Assert.Equal(new[] { -1, 256, 128, 3 }, input.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()));
        int d = body.GetProperty("dimension").GetInt32();
        Assert.True(d > 0);
        Assert.Equal(new[] { -1, d }, body.GetProperty("output").GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal("embeddings", body.GetProperty("output").GetProperty("name").GetString());
        Assert.Contains(body.GetProperty("execution_provider").GetString(), new[] { "CPU", "CUDA" });
        Assert.Equal(System.Text.Json.JsonValueKind.Object, body.GetProperty("card").ValueKind);
        Assert.Equal(System.Text.Json.JsonValueKind.Object, body.GetProperty("metadata").ValueKind);
        Assert.False(body.GetProperty("flip_tta").GetBoolean()); // the default model is exported without --flip
    }

    [Fact]
    public async Task ModelEndpointReportsFlipTtaFromTheServedFilesMetadata()
    {
        // The default model's graph with its flip_tta metadata set to "true" (what export --flip writes; the Trainer's
        // FlipExportTests check the flip graph itself): the Api reads the served file, not a guess.
        string folder = Directory.CreateTempSubdirectory("sanreid-flipmeta-").FullName;
        try
        {
            var model = Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(RepoPaths.DefaultModel));
            // A model exported before flip_tta existed has no entry: add it, as export --flip would have written it.
            var entry = model.MetadataProps.SingleOrDefault(p => p.Key == "flip_tta");
            if (entry is null)
            {
                entry = new Onnx.StringStringEntryProto { Key = "flip_tta" };
                model.MetadataProps.Add(entry);
            }

            entry.Value = "true";
            string path = Path.Combine(folder, "flip.onnx");
            File.WriteAllBytes(path, Google.Protobuf.MessageExtensions.ToByteArray(model));
            using var flipFactory = ApiFactory.With(new Dictionary<string, string> { ["SanReid:Model:Path"] = path });

            var body = await ReadJson(await flipFactory.CreateClient().GetAsync("/api/v1/model"));

            Assert.True(body.GetProperty("flip_tta").GetBoolean());
            Assert.Equal("true", body.GetProperty("metadata").GetProperty("flip_tta").GetString());
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task SwaggerDocumentListsEveryEndpoint()
    {
        var response = await _client.GetAsync("/swagger/v1/swagger.json");
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        foreach (var path in new[] { "/api/v1/embeddings", "/api/v1/gallery", "/api/v1/gallery/{id}", "/api/v1/search", "/api/v1/model" })
            Assert.Contains($"\"{path}\"", text);
        Assert.Contains("\"X-Api-Key\"", text); // the key header as a security scheme, for Swagger UI's Authorize
        var ui = await _client.GetAsync("/swagger/index.html");
        Assert.Equal(HttpStatusCode.OK, ui.StatusCode);
    }

    [Fact]
    public async Task SwaggerGivesTheSearchFormItsRealTypes()
    {
        using var document = JsonDocument.Parse(await _client.GetStringAsync("/swagger/v1/swagger.json"));
        var root = document.RootElement;

        var form = Resolve(root, root.GetProperty("paths").GetProperty("/api/v1/search").GetProperty("post")
            .GetProperty("requestBody").GetProperty("content").GetProperty("multipart/form-data").GetProperty("schema"));
        var properties = form.GetProperty("properties");

        Assert.Equal("integer", TypeOf(Resolve(root, properties.GetProperty("k"))));
        Assert.Equal("number", TypeOf(Resolve(root, properties.GetProperty("min_score"))));
        var cameras = Resolve(root, properties.GetProperty("cameras"));
        Assert.Equal("array", TypeOf(cameras));
        Assert.Equal("integer", TypeOf(Resolve(root, cameras.GetProperty("items"))));
        // One query image: a binary string, not an array of files.
        var image = Resolve(root, properties.GetProperty("image"));
        Assert.Equal("string", TypeOf(image));
        Assert.Equal("binary", image.GetProperty("format").GetString());
    }

    [Fact]
    public async Task SwaggerGivesTheGalleryAndEmbeddingsFieldsTheirRealTypes()
    {
        string json = await _client.GetStringAsync("/swagger/v1/swagger.json");
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        var paths = root.GetProperty("paths");

        // POST /gallery: camera_id an integer, captured_at a date-time, images an array of binary files.
        var add = FormProperties(root, paths.GetProperty("/api/v1/gallery").GetProperty("post"));
        Assert.Equal("integer", TypeOf(Resolve(root, add.GetProperty("camera_id"))));
        var capturedAt = Resolve(root, add.GetProperty("captured_at"));
        Assert.Equal("string", TypeOf(capturedAt));
        Assert.Equal("date-time", capturedAt.GetProperty("format").GetString());
        AssertArrayOfFiles(root, add.GetProperty("images"));

        // POST /embeddings: images an array of binary files.
        AssertArrayOfFiles(root, FormProperties(root, paths.GetProperty("/api/v1/embeddings").GetProperty("post")).GetProperty("images"));

        // GET /gallery: after_id and limit integers, cameras an array of integers, from a date-time.
        var list = QueryParameters(root, paths.GetProperty("/api/v1/gallery").GetProperty("get"));
        Assert.Equal("integer", TypeOf(list["after_id"]));
        Assert.Equal("integer", TypeOf(list["limit"]));
        Assert.Equal("array", TypeOf(list["cameras"]));
        Assert.Equal("integer", TypeOf(Resolve(root, list["cameras"].GetProperty("items"))));
        Assert.Equal("date-time", list["from"].GetProperty("format").GetString());

        // DELETE /gallery: the two cut-off instants are date-times.
        var retention = QueryParameters(root, paths.GetProperty("/api/v1/gallery").GetProperty("delete"));
        Assert.Equal("date-time", retention["captured_before"].GetProperty("format").GetString());
        Assert.Equal("date-time", retention["created_before"].GetProperty("format").GetString());

        // Responses are typed: search's 200 is SearchResponse, whose matches carry a number score and an integer id.
        var ok = Resolve(root, paths.GetProperty("/api/v1/search").GetProperty("post").GetProperty("responses").GetProperty("200")
            .GetProperty("content").GetProperty("application/json").GetProperty("schema"));
        var matches = Resolve(root, ok.GetProperty("properties").GetProperty("matches"));
        Assert.Equal("array", TypeOf(matches));
        var match = Resolve(root, matches.GetProperty("items")).GetProperty("properties");
        Assert.Equal("number", TypeOf(Resolve(root, match.GetProperty("score"))));
        Assert.Equal("integer", TypeOf(Resolve(root, match.GetProperty("id"))));
        // Adding answers 201 with the new items.
        var created = Resolve(root, paths.GetProperty("/api/v1/gallery").GetProperty("post").GetProperty("responses").GetProperty("201")
            .GetProperty("content").GetProperty("application/json").GetProperty("schema"));
        Assert.Equal("array", TypeOf(Resolve(root, created.GetProperty("properties").GetProperty("items"))));
    }

    private static JsonElement FormProperties(JsonElement root, JsonElement operation) =>
        Resolve(root, operation.GetProperty("requestBody").GetProperty("content").GetProperty("multipart/form-data").GetProperty("schema"))
            .GetProperty("properties");

    // The query parameters of an operation by name, their schemas resolved.
    private static Dictionary<string, JsonElement> QueryParameters(JsonElement root, JsonElement operation) =>
        operation.GetProperty("parameters").EnumerateArray()
            .Where(p => p.GetProperty("in").GetString() == "query")
            .ToDictionary(p => p.GetProperty("name").GetString()!, p => Resolve(root, p.GetProperty("schema")));

    private static void AssertArrayOfFiles(JsonElement root, JsonElement schema)
    {
        var array = Resolve(root, schema);
        Assert.Equal("array", TypeOf(array));
        var file = Resolve(root, array.GetProperty("items"));
        Assert.Equal("string", TypeOf(file));
        Assert.Equal("binary", file.GetProperty("format").GetString());
    }

    // Follows a local "$ref" ("#/components/schemas/X").
    private static JsonElement Resolve(JsonElement root, JsonElement schema)
    {
        if (!schema.TryGetProperty("$ref", out var reference))
            return schema;
        var target = root;
        foreach (var part in reference.GetString()!.TrimStart('#', '/').Split('/'))
            target = target.GetProperty(part);
        return target;
    }

    // "type" as OpenAPI 3.0 writes it ("integer") or 3.1 ("["integer", "null"]"): the non-null type.
    private static string? TypeOf(JsonElement schema)
    {
        var type = schema.GetProperty("type");
        return type.ValueKind == JsonValueKind.Array
            ? type.EnumerateArray().Select(t => t.GetString()).Single(t => t != "null")
            : type.GetString();
    }

    [Fact]
    public async Task ModelEndpointNamesNoServerPath()
    {
        var text = await (await _client.GetAsync("/api/v1/model")).Content.ReadAsStringAsync();
        var body = System.Text.Json.JsonDocument.Parse(text).RootElement;

        Assert.Contains("Microsoft.ML.DnnImageFeaturizer.ResNet18 0.23.1", body.GetProperty("card").GetProperty("weights_source").GetString());
        string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        Assert.DoesNotContain(".nuget/packages", text);
        Assert.DoesNotContain(RepoPaths.Root, text);
        if (home.Length > 1)
            Assert.DoesNotContain(home + "/", text);
    }

    [Theory]
    [InlineData("/api/v1/model", 200)]
    [InlineData("/api/v1/gallery?limit=1", 200)]
    [InlineData("/api/v1/gallery/987654321", 404)]
    [InlineData("/health/ready", 200)]
    public async Task HeadAnswersLikeGetWithoutABody(string url, int status)
    {
        var response = await _client.SendAsync(new HttpRequestMessage(HttpMethod.Head, url));

        Assert.Equal((HttpStatusCode)status, response.StatusCode);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
    }
}
