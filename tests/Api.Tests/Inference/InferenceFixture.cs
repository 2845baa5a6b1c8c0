using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using ModuleService.Api.Imports;
using ModuleService.Api.Tests.Support;
using ModuleService.Model;
using ModuleService.Model.Architecture;
using ModuleService.Model.Checkpoints;
using ModuleService.Model.Tokenizers;
using Xunit;

namespace ModuleService.Api.Tests.Inference;

/// <summary>
/// One app per test class on a database of its own, with the served models imported once: both reference fixtures
/// (id-only, prompts are token ids) and <see cref="ChatModel"/>, a random ModuleFormer with the tiny-k1024 tokenizer
/// (text prompts, chat). Inference runs in fp32 so that the fixtures' numbers are reproducible.
/// </summary>
public class InferenceFixture(PostgresFixture postgres) : IAsyncLifetime
{
    public const string TinyModel = "ref-tiny";
    public const string MolmModel = "ref-molm";
    public const string ChatModel = "chat-k1024";

    readonly TempDir cache = new("modsvc-infertest-cache-");
    ModuleServiceFactory? root;

    public string BootstrapKey { get; } = "bootstrap-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
    public WebApplicationFactory<Program> App { get; private set; } = null!;
    /// <summary>The bootstrap admin key.</summary>
    public HttpClient Admin { get; private set; } = null!;
    /// <summary>With <see cref="ListensOnLoopback"/>, the app's real address (e.g. http://127.0.0.1:41234).</summary>
    public Uri? BaseAddress { get; private set; }
    public IReadOnlyDictionary<string, ImportResponse> Imported { get; private set; } = new Dictionary<string, ImportResponse>();

    /// <summary>Configuration on top of the test defaults (e.g. "Inference:MaxQueueLength").</summary>
    protected virtual IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>();

    /// <summary>Service replacements on top of the app's own (e.g. a manual clock).</summary>
    protected virtual void ConfigureServices(IServiceCollection services) { }

    /// <summary>Serve on a real loopback port (Kestrel) instead of the in-memory test server.</summary>
    protected virtual bool ListensOnLoopback => false;

    public async Task InitializeAsync()
    {
        var connection = await postgres.CreateDatabaseAsync("infer");
        root = new ModuleServiceFactory(connection, BootstrapKey, cache.Path);
        App = root.WithWebHostBuilder(builder =>
        {
            builder.UseSetting("Inference:Dtype", "Fp32");
            builder.UseSetting("Inference:Threads", "2");
            foreach (var (key, value) in Settings) builder.UseSetting(key, value);
            builder.ConfigureTestServices(ConfigureServices);
        });
        if (ListensOnLoopback)
        {
            App.UseKestrel(options => options.Listen(IPAddress.Loopback, 0));
            App.StartServer();
            var address = App.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            BaseAddress = new Uri(address);
        }
        Admin = Client(BootstrapKey);
        (await Admin.GetAsync("/readyz")).EnsureSuccessStatusCode();

        using var chat = WriteChatCheckpoint(seed: 7);
        Imported = new Dictionary<string, ImportResponse>
        {
            [TinyModel] = await ImportAsync(Checkpoints.Fixture(Checkpoints.Tiny), TinyModel),
            [MolmModel] = await ImportAsync(Checkpoints.Fixture(Checkpoints.MolmLike), MolmModel),
            [ChatModel] = await ImportAsync(chat.Path, ChatModel),
        };
    }

    public async Task DisposeAsync()
    {
        Admin?.Dispose();
        if (App is not null) await App.DisposeAsync();
        if (root is not null) await root.DisposeAsync();
        cache.Dispose();
    }

    /// <summary>A client sending <c>Authorization: Bearer key</c>, or no header for a null key.</summary>
    public HttpClient Client(string? key = null)
    {
        var client = BaseAddress is null
            ? App.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false })
            : new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromMinutes(2) };
        if (key is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    /// <summary>Creates a key with the given scopes through <c>POST /v1/keys</c>; returns its secret.</summary>
    public async Task<string> CreateKeyAsync(string name, params string[] scopes)
    {
        var response = await Admin.PostAsJsonAsync("/v1/keys", new { name, scopes }, ApiJson.Options);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"POST /v1/keys gave {(int)response.StatusCode}: {body}");
        return (string)JsonNode.Parse(body)!["secret"]!;
    }

    async Task<ImportResponse> ImportAsync(string folder, string name)
    {
        var response = await Admin.PostAsJsonAsync("/v1/imports", new { path = folder, name }, ApiJson.Options);
        Assert.True(response.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK,
            $"import of {folder} gave {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return (await response.Content.ReadFromJsonAsync<ImportResponse>(ApiJson.Options))!;
    }

    /// <summary>
    /// A random ModuleFormer of the reference-tiny shape with the tiny-k1024 tokenizer (vocabulary 1088, end of
    /// text 1024), saved as config.json + model.safetensors. initializer_range 0.2 keeps greedy choices well apart.
    /// </summary>
    public static TempDir WriteChatCheckpoint(long seed)
    {
        var config = new ModuleFormerConfig
        {
            VocabSize = TinyK1024Tokenizer.Size, HiddenSize = 64, Layers = 2, Heads = 2, AttentionHidden = 32, MlpHidden = 128,
            AttentionExperts = 4, AttentionTopK = 2, MlpExperts = 8, MlpTopK = 2, GatingSize = 32,
            BlockSize = 256, HistoryLength = 256, InitializerRange = 0.2,
            BosTokenId = TinyK1024Tokenizer.EndOfText, EosTokenId = TinyK1024Tokenizer.EndOfText,
            Tokenizer = TinyK1024Tokenizer.TokenizerName,
        };
        var dir = new TempDir("modsvc-infertest-chat-");
        using var model = new ModuleFormerForCausalLM(config);
        model.InitializeWeights(seed);
        ModelCheckpoint.Save(model, dir.Path);
        return dir;
    }
}

/// <summary>The app with room for one running request and none waiting: the second concurrent request gets 429.</summary>
public sealed class TinyQueueFixture(PostgresFixture postgres) : InferenceFixture(postgres)
{
    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["Inference:MaxQueueLength"] = "0",
        ["Inference:MaxBatchSize"] = "1",
    };
}

/// <summary>The app on a real loopback port, for clients outside the test process (Node.js).</summary>
public sealed class LoopbackFixture(PostgresFixture postgres) : InferenceFixture(postgres)
{
    protected override bool ListensOnLoopback => true;
}
