#include "web_server/kv_api.hpp"

#include <cstdio>
#include <variant>

#include "common/http_message.hpp"
#include "common/log.hpp"
#include "web_server/content_types.hpp"
#include "web_server/kv_json.hpp"
#include "web_server/kv_query.hpp"

namespace web {

namespace {

constexpr std::string_view kOctets = "application/octet-stream";
constexpr std::string_view kKeyPrefix = "/kv/";
// A list stops early (truncated) past this many value bytes, so that 1000 large values cannot
// make one response of a gigabyte.
constexpr size_t kMaxListValueBytes = 16 * 1024 * 1024;

Response make(int status, std::string_view content_type, std::string body) {
  Response response;
  response.status = status;
  response.content_type = content_type;
  response.owned_body = std::move(body);
  return response;
}

Response with_version(Response response, const store::Version& version) {
  const std::string text = store::to_string(version);
  response.headers += "ETag: \"" + text + "\"\r\nX-Version: " + text + "\r\n";
  return response;
}

// An answer in words, for errors: "404 Not Found: no key 'a'".
Response say(int status, std::string_view why) {
  std::string body = std::to_string(status) + " " + std::string(common::status_text(status));
  return make(status, kText, body + ": " + std::string(why) + "\n");
}

Response store_failed(std::string_view what, const common::Error& error) {
  common::log("kv: ", what, ": ", error.message);
  return say(500, "the store failed; see the server's log");
}

std::string hex_id(store::OriginId id) {
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(id));
  return text;
}

}  // namespace

std::string_view KvApi::allowed_methods(std::string_view path) {
  if (path == "/kv" || path == "/replication") return "GET, HEAD";
  if (path.starts_with(kKeyPrefix)) return "GET, HEAD, PUT, DELETE";
  return {};
}

bool KvApi::allows(std::string_view allowed, std::string_view method) {
  while (!allowed.empty()) {
    const size_t comma = allowed.find(", ");
    if (allowed.substr(0, comma) == method) return true;
    if (comma == std::string_view::npos) break;
    allowed.remove_prefix(comma + 2);
  }
  return false;
}

Response KvApi::answer(std::string_view method, std::string_view path, std::string_view target,
                       std::string_view body) {
  if (path == "/replication") return replication_status();
  if (path == "/kv") return list(target);
  // No percent-decoding: '%' is not a key character, so an escaped key is refused as it is.
  const std::string_view key = path.substr(kKeyPrefix.size());
  if (!store::valid_key(key)) {
    return with_version(say(400,
                            "invalid key: 1 to 256 bytes of A-Z a-z 0-9 . _ ~ : @ ! $ ' ( ) "
                            "* + , ; = - and '/' between non-empty segments other than "
                            "'.' and '..'"),
                        {});
  }
  if (method == "PUT") return put(key, body);
  if (method == "DELETE") return remove(key);
  return get(key);
}

// A deleted key's 404 carries the delete's version while its tombstone is kept.
Response KvApi::get(std::string_view key) {
  std::optional<store::Store::Stored> stored = store_.lookup(key);
  if (!stored || !stored->value) {
    return with_version(say(404, "no key '" + std::string(key) + "'"),
                        stored ? stored->version : store::Version{});
  }
  return with_version(make(200, kOctets, std::move(*stored->value)), stored->version);
}

Response KvApi::put(std::string_view key, std::string_view value) {
  if (value.size() > store::kMaxValueBytes) {
    return with_version(
        say(413, "a value holds at most " + std::to_string(store::kMaxValueBytes) + " bytes"), {});
  }
  if (auto refused = refusal()) return std::move(*refused);
  const auto committed = store_.put(key, value);
  if (!committed) return store_failed("PUT " + std::string(key), committed.error());
  const bool replaced = committed->replaced;
  Response stored = make(replaced ? 200 : 201, kText, replaced ? "replaced\n" : "created\n");
  return replicated(with_version(std::move(stored), committed->change.version), committed->change);
}

Response KvApi::remove(std::string_view key) {
  if (auto refused = refusal()) return std::move(*refused);
  const auto change = store_.remove(key);
  if (!change) return store_failed("DELETE " + std::string(key), change.error());
  if (!*change) return with_version(say(404, "no key '" + std::string(key) + "'"), {});
  return replicated(with_version(make(204, kText, {}), (*change)->version), **change);
}

// Before a local write: the 503 of --sync-replicas when too few peers are connected.
std::optional<Response> KvApi::refusal() const {
  if (quorum_ == nullptr) return std::nullopt;
  const auto why = quorum_->refuse_write();
  if (!why) return std::nullopt;
  Response refused = with_version(say(503, *why), {});
  refused.headers += "Retry-After: 1\r\n";
  return refused;
}

// After the local commit: waits for --sync-replicas peers, if any are required.
Response KvApi::replicated(Response response, const store::Change& change) {
  if (quorum_ == nullptr || quorum_->await_replicated(change)) return response;
  Response late = say(504,
                      "the write is stored on this server, but whether enough peers stored "
                      "it is unknown (the sync timeout passed)");
  late.headers = std::move(response.headers);
  return late;
}

Response KvApi::list(std::string_view target) {
  auto query = parse_list_query(query_of(target));
  if (const auto* why = std::get_if<std::string>(&query)) return with_version(say(400, *why), {});
  const ListQuery& q = std::get<ListQuery>(query);
  const std::vector<store::Entry> entries = store_.list(q.prefix, q.limit + 1);
  std::string body = "{\"items\":[";
  store::Version highest;
  size_t listed = 0;
  size_t value_bytes = 0;
  for (; listed < entries.size() && listed < q.limit; ++listed) {
    const store::Entry& entry = entries[listed];
    if (listed > 0 && value_bytes + entry.value.size() > kMaxListValueBytes) break;
    value_bytes += entry.value.size();
    if (listed > 0) body += ',';
    body += entry_json(entry.key, entry.value, entry.version);
    highest = std::max(highest, entry.version);
  }
  body += "],\"truncated\":";
  body += listed < entries.size() ? "true}\n" : "false}\n";
  return with_version(make(200, kJson, std::move(body)), highest);
}

Response KvApi::replication_status() const {
  if (quorum_ != nullptr) return make(200, kJson, quorum_->status_json());
  return make(200, kJson, "{\"id\":\"" + hex_id(store_.id()) + "\",\"peers\":[]}\n");
}

}  // namespace web
