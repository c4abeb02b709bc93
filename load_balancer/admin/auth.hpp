// The admin token: read from --admin-token-file at start-up, then required on every admin
// request as "Authorization: Bearer <token>". A browser cannot set that header on a page load
// or an EventSource, so GET / and GET /events also take it as "?token=<token>" (the dashboard
// passes on the one in its own address). Comparisons take the same time whatever the input.
#pragma once

#include <string>
#include <string_view>

#include "common/result.hpp"

namespace lb {

// The file's content without surrounding whitespace. Fails on an unreadable or empty file:
// "read admin.token: No such file or directory", "admin.token: empty token".
common::Result<std::string> read_token_file(const std::string& path);

// Whether `given` equals `token`; the time taken depends on token's length only.
bool token_matches(std::string_view given, std::string_view token);

// Whether a request carries the token: the Authorization field's bearer token, or, when
// `query_allowed`, the query's token parameter. An empty `token` means no token is required.
bool authorized(std::string_view token, std::string_view authorization, std::string_view query,
                bool query_allowed);

}  // namespace lb
