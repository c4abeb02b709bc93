// The dashboard's files, compiled into the binary (no external assets): each is a raw string
// literal in its own *_asset.cpp.
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
