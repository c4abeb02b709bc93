#include "load_balancer/admin/assets.hpp"

namespace lb {

std::string dashboard_page() {
  std::string page(dashboard_html());
  const auto put = [&page](std::string_view marker, std::string_view content) {
    const size_t at = page.find(marker);
    if (at != std::string::npos) page.replace(at, marker.size(), content);
  };
  put("/*STYLE*/", dashboard_css());
  put("/*SCRIPT*/", dashboard_js());
  return page;
}

}  // namespace lb
