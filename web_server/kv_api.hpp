// The KV API over the server's store:
//   PUT    /kv/<key>   body = value (at most store::kMaxValueBytes) -> 201 (new key), 200
//   (replaced) GET    /kv/<key>   the value as application/octet-stream, 404 when absent or
//   deleted; HEAD too DELETE /kv/<key>   204, 404 when absent GET    /kv?prefix=P&limit=N
//   {"items":[<kv_json.hpp entries>],"truncated":bool} (kv_query.hpp) GET    /replication  the
//   Quorum's status_json(), or {"id":"<hex>","peers":[]} without one
// Every /kv answer carries `ETag: "<version>"` and `X-Version: <version>`: the key's version, 0
// ("0-0000000000000000") for a key never written, and for a list the highest version listed.
// With a Quorum (--sync-replicas), a write is refused with 503 + Retry-After before the local
// commit when too few peers are connected, and answered 504 when its replication did not
// complete in time (it is stored locally, its fate elsewhere unknown).
#pragma once

#include <optional>
#include <string_view>

#include "web_server/replication/quorum.hpp"
#include "web_server/response.hpp"
#include "web_server/store/store.hpp"

namespace web {

class KvApi {
 public:
  // Both must outlive the KvApi; quorum may be null.
  KvApi(store::Store& store, replication::Quorum* quorum) : store_(store), quorum_(quorum) {}

  // The methods a path of the API takes ("GET, HEAD" for "/kv"), or "" for a path not its own.
  static std::string_view allowed_methods(std::string_view path);
  // Whether `method` is in an allowed_methods() list.
  static bool allows(std::string_view allowed, std::string_view method);

  // Answers a request for one of the API's paths with an allowed method; `path` is the path of
  // `target` (path_of), as routing found it. Thread-safe.
  Response answer(std::string_view method, std::string_view path, std::string_view target,
                  std::string_view body);

 private:
  Response get(std::string_view key);
  Response put(std::string_view key, std::string_view value);
  Response remove(std::string_view key);
  Response list(std::string_view target);
  Response replication_status() const;
  std::optional<Response> refusal() const;
  Response replicated(Response response, const store::Change& change);

  store::Store& store_;
  replication::Quorum* quorum_;
};

}  // namespace web
