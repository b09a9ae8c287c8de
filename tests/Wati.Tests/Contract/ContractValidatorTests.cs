using Wati.Tests.Support;
using Xunit.Sdk;

namespace Wati.Tests.Contract;

/// <summary>The validator that every API test's answers go through does catch drift.</summary>
public sealed class ContractValidatorTests
{
    private const string Balance = """{"request_id":"req_1","status":"success","data":{"balance":"10","reserved":"0"},"meta":{}}""";

    [Fact]
    public void AnAnswerAsDocumentedPasses() =>
        ContractValidator.Validate(HttpMethod.Get, "/v1/credits", 200, "application/json", Balance);

    [Theory]
    [InlineData("""{"request_id":"req_1","status":"success","data":{"balance":10,"reserved":"0"},"meta":{}}""")]
    [InlineData("""{"request_id":"req_1","status":"success","data":{"reserved":"0"},"meta":{}}""")]
    [InlineData("""{"request_id":"req_1","status":"ok","data":{"balance":"10","reserved":"0"},"meta":{}}""")]
    [InlineData("""{"request_id":"req_1","status":"success","data":{"balance":"10","reserved":"0"}}""")]
    public void AFieldThatDriftsFails(string body) =>
        Assert.Throws<FailException>(() => ContractValidator.Validate(HttpMethod.Get, "/v1/credits", 200, "application/json", body));

    [Fact]
    public void AnErrorCodeTheRouteDoesNotDeclareFails()
    {
        const string error = """{"request_id":"r","status":"error","error":{"message":"m","code":"%","details":null}}""";
        ContractValidator.Validate(HttpMethod.Post, "/v1/gfpgan", 402, "application/json", error.Replace("%", "INSUFFICIENT_BALANCE"));
        Assert.Throws<FailException>(() =>
            ContractValidator.Validate(HttpMethod.Post, "/v1/gfpgan", 402, "application/json", error.Replace("%", "NOT_FOUND")));
        Assert.Throws<TrueException>(() =>
            ContractValidator.Validate(HttpMethod.Get, "/v1/credits", 402, "application/json", error.Replace("%", "INSUFFICIENT_BALANCE")));
    }

    [Fact]
    public void TheModelAnswersMetaIsChecked()
    {
        const string answer = """{"request_id":"r","status":"success","data":{"job_id":"job_1","key":"k","url":"u","expires_in":3600},"meta":%}""";
        ContractValidator.Validate(HttpMethod.Post, "/v1/gfpgan", 200, "application/json", answer.Replace("%",
            """{"job_id":"job_1","model":"gfpgan","credits_charged":"1","scale":2,"version":"1.4","bytes":256000,"requestId":"r"}"""));
        Assert.Throws<FailException>(() => ContractValidator.Validate(HttpMethod.Post, "/v1/gfpgan", 200, "application/json", answer.Replace("%",
            """{"job_id":"job_1","model":"gfpgan","credits_charged":"1","scale":"2","version":"1.4","bytes":256000,"requestId":"r"}""")));
    }
}
