#include "web_server/response.hpp"

#include "common/http_message.hpp"
#include "web_server/content_types.hpp"

namespace web {

Response error_response(int status) {
  Response response;
  response.status = status;
  response.content_type = kText;
  response.body = common::status_text(status);
  return response;
}

}  // namespace web
