// The dashboard's files, compiled into the binary (no external assets): they are kept as
// themselves in load_balancer/admin/assets/ and turned into byte arrays at build time
// (cmake/embed_asset.cmake), so an edit to one is an edit to what is served.
#pragma once

#include <string>
#include <string_view>

namespace lb {

std::string_view dashboard_html();  // has the markers /*STYLE*/ and /*SCRIPT*/
std::string_view dashboard_css();
std::string_view dashboard_js();

// The page as served: the HTML with the style and the script put in place of their markers.
std::string dashboard_page();

}  // namespace lb
