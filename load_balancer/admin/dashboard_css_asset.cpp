#include "load_balancer/admin/assets.hpp"

namespace lb {

std::string_view dashboard_css() {
  return R"css(
:root { font-family: system-ui, sans-serif; color: #1d232a; background: #f6f7f9; }
header { display: flex; align-items: baseline; gap: 1em; padding: 0 1.5em; }
h1 { font-size: 1.3em; }
#connection { font-size: 0.85em; padding: 0.1em 0.6em; border-radius: 1em; color: #fff; }
#connection.live { background: #2e7d32; }
#connection.stale { background: #9e9e9e; }
#updated { color: #667; font-size: 0.85em; }
main { padding: 0 1.5em; }
table { border-collapse: collapse; width: 100%; background: #fff; }
th, td { text-align: left; padding: 0.45em 0.8em; border-bottom: 1px solid #e3e6ea; }
th { font-size: 0.8em; color: #556; text-transform: uppercase; letter-spacing: 0.03em; }
td.number { text-align: right; font-variant-numeric: tabular-nums; }
.state { font-weight: 600; padding: 0.1em 0.6em; border-radius: 0.3em; color: #fff; }
.state.up { background: #2e7d32; }
.state.down { background: #c62828; }
.state.draining { background: #ef6c00; }
.state.disabled { background: #616161; }
canvas { display: block; }
#proxy-errors { color: #556; font-size: 0.9em; }
)css";
}

}  // namespace lb
