using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Wati.Envelope;
using Wati.Platform.Common;
using Wati.Platform.Data;
using Wati.Platform.Data.Sqlite;
using Wati.Platform.Manifest;
using Wati.Platform.Storage;
using Wati.Platform.Uploads;
using Wati.Tests.Support;

namespace Wati.Tests.Manifest;

public sealed class ManifestServiceTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly SqliteTableStore _sqlite;
    private readonly FlakyTables _tables;
    private readonly MemoryObjects _objects = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero));
    private readonly ManifestService _manifest;

    public ManifestServiceTests()
    {
        _sqlite = new SqliteTableStore(_dir.File("tables.db"));
        _tables = new FlakyTables(_sqlite);
        _manifest = new ManifestService(_tables, _objects, new RandomIdGenerator(), _time, NullLogger<ManifestService>.Instance);
    }

    public void Dispose()
    {
        _sqlite.Dispose();
        _dir.Dispose();
    }

    private static Upload Image(string field, byte seed = 0) =>
        new(field, TinyImages.Png(4, 3, seed), new ImageInfo(ImageFormat.Png, 4, 3));

    private static NewPack Pack(string name, int assets = 2, string category = "faces", string target = "gfpgan") =>
        new(name, category, target, "", Image("cover"), Enumerable.Range(0, assets).Select(i => Image("assets", (byte)i)).ToList());

    [Fact]
    public async Task AFailedRowWriteLeavesNoFilesBehind()
    {
        _tables.FailInserts = true;
        await Assert.ThrowsAsync<TableStoreException>(() => _manifest.CreatePackAsync(Pack("doomed", assets: 3), default));
        await Assert.ThrowsAsync<TableStoreException>(() => _manifest.CreatePortraitAsync(new NewPortrait("doomed", [], Image("image")), default));

        Assert.Empty(_objects.Keys);
        Assert.Equal(4 + 1, _objects.Deleted.Count);
        Assert.Equal(0, (await _manifest.ListPacksAsync(null, null, PageRequest.Create(1, 20), default)).Total);
    }

    [Fact]
    public async Task DeletingRemovesTheRowEvenWhenAFileCannotBeDeleted()
    {
        var pack = await _manifest.CreatePackAsync(Pack("kept files"), default);
        Assert.Equal(3, _objects.Keys.Count);

        _objects.FailDeletes = true;
        await _manifest.DeletePackAsync(pack.Id, default);

        var error = await Assert.ThrowsAsync<ApiException>(() => _manifest.GetPackAsync(pack.Id, default));
        Assert.Equal(ErrorCode.NotFound, error.Code);
    }

    [Fact]
    public async Task PacksListNewestFirstAcrossPagesWithFilters()
    {
        foreach (var (name, target) in new[] { ("a", "gfpgan"), ("b", "iclight"), ("c", "gfpgan"), ("d", "gfpgan") })
        {
            await _manifest.CreatePackAsync(Pack(name, assets: 0, target: target), default);
            _time.Advance(TimeSpan.FromSeconds(1));
        }

        var page = await _manifest.ListPacksAsync("faces", "gfpgan", PageRequest.Create(2, 2), default);
        Assert.Equal(3, page.Total);
        Assert.Equal(["a"], page.Items.Select(p => p.Name));
        Assert.Equal(["d", "c"], (await _manifest.ListPacksAsync(null, "gfpgan", PageRequest.Create(1, 2), default)).Items.Select(p => p.Name));
        Assert.Equal(0, (await _manifest.ListPacksAsync("other", null, PageRequest.Create(1, 2), default)).Total);
    }

    /// <summary>The real SQLite store, with inserts that can be made to fail as a lost connection would.</summary>
    private sealed class FlakyTables(ITableStore inner) : ITableStore
    {
        public bool FailInserts { get; set; }

        public Task<string> InsertAsync(string table, TableEntity entity, CancellationToken ct = default) =>
            FailInserts ? throw new TableStoreException(503, "store unavailable") : inner.InsertAsync(table, entity, ct);

        public Task<TableEntity?> GetAsync(string table, string pk, string rk, CancellationToken ct = default) => inner.GetAsync(table, pk, rk, ct);
        public Task<string> UpsertAsync(string table, TableEntity e, CancellationToken ct = default) => inner.UpsertAsync(table, e, ct);
        public Task<string> ReplaceAsync(string table, TableEntity e, string ifMatch, CancellationToken ct = default) => inner.ReplaceAsync(table, e, ifMatch, ct);
        public Task<string> MergeAsync(string table, TableEntity e, string ifMatch, CancellationToken ct = default) => inner.MergeAsync(table, e, ifMatch, ct);
        public Task<bool> DeleteAsync(string table, string pk, string rk, string ifMatch = "*", CancellationToken ct = default) =>
            inner.DeleteAsync(table, pk, rk, ifMatch, ct);
        public Task<TablePage> QueryAsync(string table, TableQuery query, CancellationToken ct = default) => inner.QueryAsync(table, query, ct);
        public Task<IReadOnlyList<string>> ExecuteBatchAsync(string table, IReadOnlyList<TableOperation> ops, CancellationToken ct = default) =>
            inner.ExecuteBatchAsync(table, ops, ct);
    }

    private sealed class MemoryObjects : IObjectStore
    {
        private readonly Dictionary<string, (byte[] Bytes, string Type)> _objects = new();

        public bool FailDeletes { get; set; }
        public ICollection<string> Keys => _objects.Keys;
        public List<string> Deleted { get; } = [];

        public async Task PutAsync(string key, Stream content, string contentType, CancellationToken ct = default)
        {
            using var copy = new MemoryStream();
            await content.CopyToAsync(copy, ct);
            _objects[ObjectKeys.Validate(key)] = (copy.ToArray(), contentType);
        }

        public Task<StoredObject?> GetAsync(string key, CancellationToken ct = default) =>
            Task.FromResult(_objects.TryGetValue(key, out var o) ? new StoredObject(new MemoryStream(o.Bytes), o.Type, o.Bytes.Length) : null);

        public Task<bool> DeleteAsync(string key, CancellationToken ct = default)
        {
            if (FailDeletes) throw new IOException("disk gone");
            Deleted.Add(key);
            return Task.FromResult(_objects.Remove(key));
        }

        public Task<SignedUrl> GetSignedUrlAsync(string key, TimeSpan lifetime, CancellationToken ct = default) =>
            Task.FromResult(new SignedUrl($"https://objects.test/{key}?sig=x", (int)lifetime.TotalSeconds));

        public Task<bool> IsReadyAsync(CancellationToken ct = default) => Task.FromResult(true);
    }
}
