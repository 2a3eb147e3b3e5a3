var app = WebApplication.CreateBuilder(args).Build();
app.Run();

/// <summary>Entry point, public for WebApplicationFactory in tests.</summary>
public partial class Program;
