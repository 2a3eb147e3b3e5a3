using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SanReid.Api.Services;
using SanReid.Api.Tests.Infrastructure;
using SanReid.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Bmp;
using SixLabors.ImageSharp.Formats.Tiff;
using SixLabors.ImageSharp.PixelFormats;
using static SanReid.Api.Tests.Infrastructure.ApiClient;

namespace SanReid.Api.Tests;

/// <summary>/metrics carries the process and .NET runtime figures beside the service's own.</summary>
public class ProcessMetricsTests(ApiFactory factory) : IClassFixture<ApiFactory>
{
    [Fact]
    public async Task MetricsListResidentMemoryGcHeapThreadsHandlesAndThreadPoolQueue()
    {
        var client = factory.CreateClient();
        GC.Collect(); // the GC heap figures are those of the last collection
        string text = await client.GetStringAsync("/metrics");

        static double Value(string text, string series)
        {
            var m = Regex.Match(text, "^" + Regex.Escape(series) + @"(\{[^}]*\})? ([0-9.eE+-]+)$", RegexOptions.Multiline);
            Assert.True(m.Success, $"no series {series} in /metrics;");
            return double.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture);
        }

        // Resident memory (two names: prometheus-net's and the Prometheus convention's): a running .NET server is > 10 MB.
        Assert.True(Value(text, "process_working_set_bytes") > 10_000_000);
        Assert.True(Value(text, "process_resident_memory_bytes") > 10_000_000);
        Assert.True(Value(text, "dotnet_total_memory_bytes") > 0); // GC heap: allocated bytes
        Assert.True(Value(text, "dotnet_gc_heap_size_bytes") > 0); // GC heap at the last collection
        Assert.True(Value(text, "process_num_threads") >= 2);
        Assert.True(Value(text, "process_open_handles") >= 3); // at least stdin/stdout/stderr and the listening socket
        Assert.True(Value(text, "process_open_fds") >= 3);
        Assert.True(Value(text, "dotnet_thread_pool_queue_length") >= 0);
        Assert.True(Value(text, "dotnet_thread_pool_thread_count") >= 1); // this request runs on one
        Assert.Contains("sanreid_crops_embedded_total", text); // the service's own metrics are still there
    }
}
