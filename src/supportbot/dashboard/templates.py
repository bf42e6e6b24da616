"""The dashboard's pages (Jinja2, autoescaped): one layout, the overview, a customer page.

No CDN and no framework: a little CSS that reads at laptop and phone widths, Chart.js
(vendored, static/) for the trend, and static/dashboard.js, which draws the charts and
refreshes the page's figures every 30 seconds without a reload.
"""

from __future__ import annotations

LAYOUT = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }} · supportbot</title>
<style>
:root { --ink:#1d1c1d; --muted:#616061; --line:#e8e8e8; --bg:#f8f8fa; --ok:#007a5a;
        --bad:#c0392b; --accent:#4a154b; }
* { box-sizing: border-box; }
body { margin:0; font: 15px/1.45 -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
       color:var(--ink); background:var(--bg); }
header { background:var(--accent); color:#fff; padding:12px 20px; display:flex; gap:12px;
         align-items:center; flex-wrap:wrap; }
header h1 { font-size:18px; margin:0; flex:1; }
header a, header button { color:#fff; }
header form { margin:0; }
header button { background:transparent; border:1px solid #fff8; border-radius:4px;
                padding:4px 10px; cursor:pointer; font:inherit; }
main { max-width:1100px; margin:0 auto; padding:20px; }
.tiles { display:grid; grid-template-columns:repeat(auto-fit, minmax(160px, 1fr)); gap:12px;
         margin:0 0 24px; }
.tile { background:#fff; border:1px solid var(--line); border-radius:8px; padding:12px 14px; }
.tile .label { color:var(--muted); font-size:13px; }
.tile .value { font-size:26px; font-weight:600; margin-top:2px; }
.tile .target { font-size:12px; color:var(--muted); }
.ok { color:var(--ok); } .bad { color:var(--bad); } .tile .value.small { font-size:18px; }
section { background:#fff; border:1px solid var(--line); border-radius:8px; padding:14px 16px;
          margin:0 0 20px; }
section h2 { font-size:16px; margin:0 0 10px; display:flex; gap:10px; align-items:baseline;
             flex-wrap:wrap; }
section h2 a { font-size:13px; font-weight:normal; margin-left:auto; }
.scroll { overflow-x:auto; }
table { border-collapse:collapse; width:100%; font-size:14px; }
th, td { text-align:left; padding:6px 8px; border-bottom:1px solid var(--line);
         white-space:nowrap; }
th { color:var(--muted); font-weight:600; font-size:12px; text-transform:uppercase; }
td.num, th.num { text-align:right; font-variant-numeric:tabular-nums; }
td.wrap { white-space:normal; min-width:16em; }
.note { color:var(--muted); font-size:13px; }
nav.month { display:flex; gap:8px; align-items:center; margin:0 0 16px; flex-wrap:wrap; }
nav.month input { font:inherit; padding:4px 6px; }
.banner { background:#fff4d6; border-bottom:1px solid #e8c15a; margin:0; padding:8px 20px;
          font-size:14px; }
.charts { display:grid; grid-template-columns:repeat(auto-fit, minmax(290px, 1fr)); gap:16px; }
.charts figure { margin:0; min-width:0; }
.charts figcaption { color:var(--muted); font-size:13px; margin:0 0 4px; }
.chart { position:relative; height:230px; }
footer { max-width:1100px; margin:0 auto; padding:0 20px 20px; }
@media (max-width:600px) { main { padding:12px; } .tile .value { font-size:22px; }
                           .chart { height:200px; } }
</style></head>
<body>
<header><h1>supportbot · {{ title }}</h1>
{% if local %}<span>this machine ({{ who_role }})</span>{% else %}
<span>{{ who_name }} ({{ who_role }})</span>
<form method="post" action="/dashboard/logout"><input type="hidden" name="csrf" value="{{ csrf }}">
<button type="submit">Sign out</button></form>{% endif %}</header>
{% if local %}<p class="banner" id="local-mode" role="status">{{ banner }}</p>{% endif %}
<main id="live">{{ body }}</main>
<footer class="note">Charts drawn with Chart.js
(<a href="/dashboard/static/chart.js-LICENSE.md">MIT licence</a>).</footer>
<script src="{{ chart_js }}"></script>
<script src="{{ dashboard_js }}"></script>
</body></html>
"""

# The trend's charts: dashboard.js fetches ``trend`` (JSON) and draws into the canvases.
TREND = """<section id="trend" data-src="{{ trend }}"><h2>Trend, 12 months to {{ month }}
<a href="{{ csv }}trend">CSV</a></h2>
<div class="charts">
<figure><figcaption>Incidents opened and resolved per month</figcaption><div class="chart">
<canvas id="chart-volume" role="img" aria-label="Incidents opened and resolved per month">
</canvas></div></figure>
<figure><figcaption>SLA met per month (%)</figcaption><div class="chart">
<canvas id="chart-sla" role="img" aria-label="Response and resolution SLA met per month">
</canvas></div></figure>
<figure><figcaption>MTTA and MTTR per month (hours)</figcaption><div class="chart">
<canvas id="chart-times" role="img" aria-label="Mean time to acknowledge and to resolve">
</canvas></div></figure>
</div><p class="note" id="trend-status">Loading the trend…</p></section>
"""

TILES = """<nav class="month"><form method="get">
<label>Month <input type="month" name="month" value="{{ month }}"></label>
<button type="submit">Show</button></form>
<span class="note">as of {{ as_of }} · figures defined in docs/metrics.md ·
refreshes every 30 s</span>
</nav>
<div class="tiles">
{% for tile in tiles %}<div class="tile" data-figure="{{ tile.key }}">
<div class="label">{{ tile.label }}</div>
<div class="value {{ tile.verdict }}">{{ tile.value }}</div>
<div class="target">{{ tile.target }}</div></div>
{% endfor %}</div>
"""

OVERVIEW = (
    TILES
    + TREND
    + """<section><h2>Customers <a href="{{ csv }}sla">CSV</a></h2><div class="scroll"><table>
<tr><th>Customer</th><th>Tier</th><th class="num">Opened</th><th class="num">Resolved</th>
<th class="num">Response SLA</th><th class="num">Resolution SLA</th><th class="num">MTTR</th>
<th class="num">CSAT</th><th class="num">Availability</th><th class="num">Credits</th></tr>
{% for row in rows %}<tr data-customer="{{ row.key }}">
<td><a href="/dashboard/customer/{{ row.key }}?month={{ month }}">{{ row.name }}</a></td>
<td>{{ row.tier }}</td><td class="num">{{ row.opened }}</td><td class="num">{{ row.resolved }}</td>
<td class="num">{{ row.response }}</td><td class="num">{{ row.resolution }}</td>
<td class="num">{{ row.mttr }}</td><td class="num">{{ row.csat }}</td>
<td class="num">{{ row.availability }}</td><td class="num">{{ row.credits }}</td></tr>
{% endfor %}</table></div></section>
"""
)

CUSTOMER = (
    TILES
    + TREND
    + """{% if plans %}<section id="plans"><h2>Plans <span class="note">balance {{ plans_when }}
</span></h2><ul>{% for line in plans %}<li>{{ line }}</li>{% endfor %}</ul></section>{% endif %}
<section><h2>Credits <span class="note">{{ credit_total }}</span>
<a href="{{ csv }}credits">CSV</a></h2>
{% if availability %}<p>Availability {{ availability }}</p>{% endif %}
{% if lines %}<div class="scroll"><table><tr><th>Line</th><th>Evidence</th>
<th class="num">Amount</th><th>Waived</th></tr>
{% for line in lines %}<tr><td>{{ line.line }}</td><td class="wrap">{{ line.evidence }}</td>
<td class="num">{{ line.amount }} {{ line.currency }}</td><td>{{ line.waived }}
{% if line.waiver_reason %}: {{ line.waiver_reason }}{% endif %}</td></tr>{% endfor %}
</table></div>{% else %}<p class="note">No credits owed.</p>{% endif %}
{% for note in notes %}<p class="note">{{ note }}</p>{% endfor %}</section>
<section><h2>Targets missed <a href="{{ csv }}breaches">CSV</a></h2>
{% if breaches %}<div class="scroll"><table><tr><th>Incident</th><th>Severity</th><th>Target</th>
<th>Due</th><th>Answered</th><th class="num">Late by</th></tr>
{% for b in breaches %}<tr><td>{{ b.incident }}</td><td>Sev{{ b.severity }}</td>
<td>{{ b.target }}</td><td>{{ b.due_at }}</td><td>{{ b.actual_at or "not yet" }}</td>
<td class="num">{{ b.late }}</td></tr>
{% endfor %}</table></div>{% else %}<p class="note">None.</p>{% endif %}</section>
"""
)

REFUSED = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>No access</title>
<style>body{font:16px/1.5 -apple-system,"Segoe UI",Roboto,sans-serif;max-width:560px;
margin:60px auto;padding:0 20px;color:#1d1c1d}</style></head><body>
<h1>No access</h1><p>{{ message }}</p></body></html>"""
