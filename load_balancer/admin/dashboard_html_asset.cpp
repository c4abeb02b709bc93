#include "load_balancer/admin/assets.hpp"

namespace lb {

std::string_view dashboard_html() {
  return R"html(<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>load_balancer</title>
<style>/*STYLE*/</style>
</head>
<body>
<header>
  <h1>load_balancer</h1>
  <span id="connection" class="stale">connecting</span>
  <span id="updated"></span>
</header>
<main>
  <table id="backends">
    <thead>
      <tr>
        <th>backend</th><th>state</th><th>weight</th><th>active</th><th>requests/s</th>
        <th>errors</th><th>p99</th><th>last change</th><th>requests/s, last 5 minutes</th>
      </tr>
    </thead>
    <tbody></tbody>
  </table>
  <p id="empty" hidden>No backends.</p>
  <p id="proxy-errors"></p>
</main>
<script>/*SCRIPT*/</script>
</body>
</html>
)html";
}

}  // namespace lb
