using System.Text;
using Microsoft.AspNetCore.Http;
using Wati.Envelope;
using Wati.Platform.Uploads;

namespace Wati.Tests.Uploads;

/// <summary>
/// How the form reader names each way a body breaks, including the ones only a real connection
/// produces (Kestrel's short-body error, a client that goes away), simulated with the exceptions
/// Kestrel raises.
/// </summary>
public sealed class MultipartFormTests
{
    private const string Part = "--B0undary\r\nContent-Disposition: form-data; name=\"scale\"\r\n\r\n2\r\n";

    private static HttpRequest Request(Stream body, string contentType = "multipart/form-data; boundary=B0undary",
        CancellationToken aborted = default)
    {
        var context = new DefaultHttpContext { RequestAborted = aborted };
        context.Request.ContentType = contentType;
        context.Request.Body = body;
        return context.Request;
    }

    private static async Task<ApiException> RefusedAsync(HttpRequest request)
    {
        var e = await Assert.ThrowsAsync<ApiException>(() => MultipartForm.ReadAsync(request, 1024, 4096, CancellationToken.None));
        return e;
    }

    private static string? Rule(ApiException e) => e.Details?.GetType().GetProperty("rule")?.GetValue(e.Details) as string;

    [Fact]
    public async Task Kestrels_short_body_error_is_400_content_length()
    {
        var body = new FailingStream(Encoding.ASCII.GetBytes(Part),
            new BadHttpRequestException("Unexpected end of request content.", 400));
        var e = await RefusedAsync(Request(body));
        Assert.Equal((ErrorCode.ValidationError, "content_length"), (e.Code, Rule(e)));
    }

    [Fact]
    public async Task A_client_that_goes_away_is_400_aborted()
    {
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        var body = new FailingStream(Encoding.ASCII.GetBytes(Part), new IOException("The client reset the request stream."));
        var e = await RefusedAsync(Request(body, aborted: cts.Token));
        Assert.Equal((ErrorCode.ValidationError, "aborted"), (e.Code, Rule(e)));
    }

    [Theory]
    [InlineData("multipart/form-data", "boundary_missing")]
    [InlineData("multipart/form-data; boundary=\"\"", "boundary_missing")]
    public async Task A_missing_boundary_is_400_naming_it(string contentType, string rule)
    {
        var e = await RefusedAsync(Request(new MemoryStream(Encoding.ASCII.GetBytes(Part)), contentType));
        Assert.Equal((ErrorCode.ValidationError, rule), (e.Code, Rule(e)));
    }

    [Fact]
    public async Task A_file_over_the_limit_is_413_naming_the_field_and_a_long_value_is_400()
    {
        var file = "--B0undary\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a.jpg\"\r\n\r\n" + new string('x', 2000) + "\r\n--B0undary--\r\n";
        var e = await RefusedAsync(Request(new MemoryStream(Encoding.ASCII.GetBytes(file))));
        Assert.Equal((ErrorCode.PayloadTooLarge, "image is over 1024 bytes"), (e.Code, e.Message));

        var value = "--B0undary\r\nContent-Disposition: form-data; name=\"prompt\"\r\n\r\n" + new string('x', MultipartForm.MaxValueBytes + 1) + "\r\n--B0undary--\r\n";
        var big = await Assert.ThrowsAsync<ApiException>(() =>
            MultipartForm.ReadAsync(Request(new MemoryStream(Encoding.ASCII.GetBytes(value))), 1024, 1 << 20, CancellationToken.None));
        Assert.Equal((ErrorCode.ValidationError, "max_value_bytes"), (big.Code, Rule(big)));
    }

    [Fact]
    public async Task A_well_formed_body_reads_fields_and_files()
    {
        var body = Part + "--B0undary\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a.bin\"\r\n\r\nabc\r\n--B0undary--\r\n";
        var form = await MultipartForm.ReadAsync(Request(new MemoryStream(Encoding.ASCII.GetBytes(body))), 1024, 4096, CancellationToken.None);
        Assert.Equal("2", form["scale"].ToString());
        Assert.Equal(3, form.Files.GetFile("image")!.Length);
    }

    /// <summary>Serves <paramref name="data"/>, then throws <paramref name="failure"/> as a broken connection does.</summary>
    private sealed class FailingStream(byte[] data, Exception failure) : Stream
    {
        private int position;

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (position >= data.Length) throw failure;
            var n = Math.Min(count, data.Length - position);
            Array.Copy(data, position, buffer, offset, n);
            position += n;
            return n;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (position >= data.Length) throw failure;
            var n = Math.Min(buffer.Length, data.Length - position);
            data.AsMemory(position, n).CopyTo(buffer);
            position += n;
            return ValueTask.FromResult(n);
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
