using System.Collections.Immutable;
using Microsoft.Azure.Functions.Worker;

namespace Wati.Tests.Functions;

/// <summary>The invocation a queue or timer function receives, as far as our functions read it: binding data and the token.</summary>
internal sealed class FakeFunctionContext(IServiceProvider services, IReadOnlyDictionary<string, object?> bindingData, CancellationToken ct = default)
    : FunctionContext
{
    public override string InvocationId { get; } = Guid.NewGuid().ToString();
    public override string FunctionId => "test";
    public override TraceContext TraceContext => throw new NotSupportedException();
    public override BindingContext BindingContext { get; } = new FakeBindingContext(bindingData);
    public override RetryContext RetryContext => throw new NotSupportedException();
    public override IServiceProvider InstanceServices { get; set; } = services;
    public override FunctionDefinition FunctionDefinition => throw new NotSupportedException();
    public override IDictionary<object, object> Items { get; set; } = new Dictionary<object, object>();
    public override IInvocationFeatures Features => throw new NotSupportedException();
    public override CancellationToken CancellationToken { get; } = ct;

    private sealed class FakeBindingContext(IReadOnlyDictionary<string, object?> data) : BindingContext
    {
        public override IReadOnlyDictionary<string, object?> BindingData { get; } = data;
    }
}
