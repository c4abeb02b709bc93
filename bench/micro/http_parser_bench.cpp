// The per-request cost of the HTTP wire code on a server's hot path: parsing a browser's request
// head, a backend's response head, deciding the framing, and decoding a chunked body.
#include <benchmark/benchmark.h>

#include <string>
#include <string_view>

#include "common/chunked.hpp"
#include "common/http_parser.hpp"

namespace {

using namespace common;

// What a current desktop browser sends for a page load (about 500 bytes, 11 fields).
constexpr std::string_view kBrowserRequest =
    "GET /articles/2024/load-balancing.html?ref=home HTTP/1.1\r\n"
    "Host: www.example.com\r\n"
    "Connection: keep-alive\r\n"
    "Cache-Control: max-age=0\r\n"
    "Upgrade-Insecure-Requests: 1\r\n"
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36\r\n"
    "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8\r\n"
    "Accept-Encoding: gzip, deflate, br\r\n"
    "Accept-Language: en-US,en;q=0.9\r\n"
    "Cookie: session=3f9a1c2e7b; theme=dark\r\n"
    "If-None-Match: \"5f3c-1a2b\"\r\n"
    "Referer: https://www.example.com/\r\n"
    "\r\n";

constexpr std::string_view kSmallResponse =
    "HTTP/1.1 200 OK\r\n"
    "Content-Type: text/plain\r\n"
    "Content-Length: 13\r\n"
    "\r\n";

void BM_ParseBrowserRequest(benchmark::State& state) {
  const HttpLimits limits;
  RequestHead head;  // reused, as a connection's request loop does
  for (auto _ : state) {
    ParseResult r = parse_request_head(kBrowserRequest, limits, head);
    benchmark::DoNotOptimize(r);
    benchmark::DoNotOptimize(head.headers.fields.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kBrowserRequest.size()));
}
BENCHMARK(BM_ParseBrowserRequest);

void BM_ParseRequestAndFrame(benchmark::State& state) {
  const HttpLimits limits;
  RequestHead head;
  for (auto _ : state) {
    ParseResult r = parse_request_head(kBrowserRequest, limits, head);
    BodyFraming f = request_body_framing(head);
    bool keep = keeps_alive(head.version_minor, head.headers);
    benchmark::DoNotOptimize(r);
    benchmark::DoNotOptimize(f);
    benchmark::DoNotOptimize(keep);
  }
}
BENCHMARK(BM_ParseRequestAndFrame);

void BM_ParseSmallResponse(benchmark::State& state) {
  const HttpLimits limits;
  ResponseHead head;
  for (auto _ : state) {
    ParseResult r = parse_response_head(kSmallResponse, limits, head);
    BodyFraming f = response_body_framing(head, "GET");
    benchmark::DoNotOptimize(r);
    benchmark::DoNotOptimize(f);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kSmallResponse.size()));
}
BENCHMARK(BM_ParseSmallResponse);

// A 64 KiB body in chunks of the given size, decoded as one buffer.
void BM_DecodeChunked(benchmark::State& state) {
  const auto chunk = static_cast<size_t>(state.range(0));
  std::string wire;
  for (size_t total = 0; total < 64 * 1024; total += chunk) {
    wire += chunk_header(chunk) + std::string(chunk, 'x') + "\r\n";
  }
  wire += kLastChunk;
  for (auto _ : state) {
    ChunkedDecoder decoder;
    size_t at = 0;
    while (at < wire.size()) {
      const ChunkedDecoder::Step step = decoder.feed(std::string_view(wire).substr(at));
      benchmark::DoNotOptimize(step.data.data());
      at += step.consumed;
      if (step.done || step.error != HttpError::none) break;
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * wire.size()));
}
BENCHMARK(BM_DecodeChunked)->Arg(256)->Arg(8192);

}  // namespace
