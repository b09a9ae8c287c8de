using Wati.Platform.Data;
using Wati.Platform.Data.Azure;
using Wati.Tests.Support;

namespace Wati.Tests.Credits;

/// <summary>
/// Every credits fact on Azurite, the parallel-charges one included (many charges at once through
/// entity-group transactions with If-Match; ledger sum == balance).
/// </summary>
public sealed class AzureCreditsServiceTests : CreditsServiceTests
{
    protected override ITableStore CreateStore() => new AzureTableStore(Emulators.TableService());
}
