using Wati.Platform.Data;

namespace Wati.Tests.Data;

public sealed class PrefixSuccessorTests
{
    [Theory]
    [InlineData("user-1", "user-2")]
    [InlineData("a\uffff", "b")]
    [InlineData("a\uffff\uffff", "b")]
    [InlineData("a\ud83d\ude00", "a\ud83d\ude01")]
    [InlineData("a\ud83d\udfff", "a\ud83e\udc00")]
    public void SuccessorIsTheSmallestStringAfterEveryExtension(string prefix, string expected)
    {
        Assert.Equal(expected, TableQuery.PrefixSuccessor(prefix));
        Assert.True(string.CompareOrdinal(prefix + "\uffff\uffff", expected) < 0);
    }

    [Theory]
    [InlineData("")]
    [InlineData("\uffff")]
    [InlineData("\udbff\udfff")]
    public void PrefixWithoutSuccessorHasNoUpperBound(string prefix)
    {
        Assert.Null(TableQuery.PrefixSuccessor(prefix));
    }
}
