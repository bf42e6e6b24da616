"""``GET /dashboard``: the live panel, a page per customer and CSV of every table.

Nobody signed in is sent to Sign in with Slack (a CSV or JSON request gets 401); a signed-in
person who is neither staff nor a designated contact gets 403; a contact asking for another
organisation gets 404, as for a customer that does not exist, so nothing is confirmed. In
local mode without Sign in with Slack, this machine is staff and everyone else gets 403
(auth.py). The trend behind the charts is JSON of its own, so the page itself stays quick.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Flask, Response, abort, redirect, render_template_string, request
from flask import session as cookie
from markupsafe import Markup
from werkzeug.exceptions import HTTPException

from supportbot import metrics
from supportbot.contracts.currency import money_text
from supportbot.contracts.customers import Customer
from supportbot.dashboard import assets, auth, cache, data, templates, trend
from supportbot.incidents.access import Actor
from supportbot.loopback import LOOPBACK, addressed_here, from_this_machine
from supportbot.reports.figures import Compliance, Figures
from supportbot.reports.records import Period, PeriodKind, parse_period, period_of
from supportbot.reports.statement import Statement
from supportbot.reports.summary import duration
from supportbot.runtime import Runtime

ENDED_MAX_AGE = timedelta(minutes=10)
ENDED_ENTRIES = 12 * 24  # twelve months of a couple of dozen customers and everyone's
NO_ACCESS = (
    "This dashboard is for the support team and each customer's designated contacts. "
    "Ask your account manager for access."
)


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f} %"


def _sla(c: Compliance) -> str:
    return _pct(c.share) if c.met + c.breached else "–"


def _verdict(good: bool | None) -> str:
    return "" if good is None else ("ok" if good else "bad")


def _unbroken(value: str) -> str:
    """A number and its unit stay on one line in a narrow tile: "13 h 20 min" may wrap before
    20, never before min (nor "66.7 %" before %)."""
    return re.sub(r"(?<=\d) (?=[^\d\s·])", "\N{NO-BREAK SPACE}", value)


def _tiles(f: Figures, open_now: dict[int, int]) -> list[dict[str, str]]:
    """The seed's live metrics, each against its target (seed 004)."""
    csat, fcr, esc = f.csat_mean, f.first_contact_rate, f.escalation_rate
    sla = f.response_sla.share
    tiles = [
        ("open", "Open now", "\N{NO-BREAK SPACE}· ".join(f"S{s}\N{NO-BREAK SPACE}{n}"
                                                          for s, n in open_now.items()),
         "by severity", None),
        ("mean_response", "Mean first response", duration(f.response.mean),
         f"MTTA {duration(f.acknowledge.mean)}", None),
        ("mttr", "Mean time to resolve", duration(f.resolution.mean),
         f"{f.resolution.apart} still open", None),
        ("response_sla", "Response SLA met", _sla(f.response_sla), "target 99 %",
         None if sla is None else sla >= 0.99),
        ("resolution_sla", "Resolution SLA met", _sla(f.resolution_sla), "target 99 %",
         None if f.resolution_sla.share is None else f.resolution_sla.share >= 0.99),
        ("csat", "CSAT", "–" if csat is None else f"{csat:.2f} / 5",
         f"{len(f.csat_scores)} ratings · target > 4.5", None if csat is None else csat > 4.5),
        ("first_contact_resolution", "First-contact resolution", _pct(fcr), "target 85 %",
         None if fcr is None else fcr >= 0.85),
        ("escalation_rate", "Escalation rate", _pct(esc), "target < 10 %",
         None if esc is None else esc < 0.10),
        ("opened", "Opened this month", str(f.opened), f"{f.resolved} resolved", None),
    ]  # fmt: skip
    return [
        {
            "key": k,
            "label": label,
            "value": _unbroken(value),
            "target": target,
            "verdict": "small" if k == "open" else _verdict(good),
        }
        for k, label, value, target, good in tiles
    ]


def _page(title: str, who: Actor, body: str, *, local: bool, **values: Any) -> str:
    inner = render_template_string(body, **values)
    role = "staff" if who.is_staff else f"{who.customer} contact"
    return render_template_string(
        templates.LAYOUT, title=title, body=Markup(inner), who_name=cookie.get("name", ""),
        who_role=role, csrf=cookie.get("csrf", ""), local=local, banner=auth.LOCAL_BANNER,
        chart_js=assets.url("chart.umd.min.js"), dashboard_js=assets.url("dashboard.js"),
    )  # fmt: skip


def _whence() -> str:
    """What made a request in local mode not this machine's own (auth.LOCAL_ONLY)."""
    if request.remote_addr not in LOOPBACK:
        return f"came from elsewhere ({request.remote_addr})"
    if not from_this_machine(request):
        return "was relayed by a proxy"
    return (
        f"was addressed to {request.host[:80]!r}, not to 127.0.0.1 or localhost (a page of "
        "another site can point a name of its own at this machine)"
    )


def _refused(status: int, message: str) -> Response:
    html = render_template_string(templates.REFUSED, message=message)
    return Response(html, status=status, mimetype="text/html")


class Pages:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        # The figures, between the page's 30-second refreshes; the charts' twelve months
        # change less often (past months only by an import or a waiver).
        self.views = cache.Kept(rt, data.load)
        self.trends = cache.Kept(rt, self._trend)
        # An ended month's row changes only by an import or a waiver: kept for longer, so a
        # refreshed trend computes the current month alone.
        self.ended = cache.Kept(rt, trend.row, max_age=ENDED_MAX_AGE, entries=ENDED_ENTRIES)

    def _viewer(self, *, api: bool = False) -> Actor | Response:
        """Who may look, or the answer that refuses them (``api``: CSV and JSON, which say
        why as plain text and as JSON, as every refusal of theirs: _machine_readable)."""

        def refuse(status: int, message: str) -> Response:
            if api:
                abort(status, message)
            return _refused(status, message)

        if auth.open_locally(self.rt):
            if from_this_machine(request) and addressed_here(request):
                return auth.LOCAL_VIEWER
            metrics.REQUEST_REFUSED.labels("dashboard_not_local").inc()
            return refuse(403, auth.LOCAL_ONLY.format(whence=_whence()))
        try:
            who = auth.viewer(self.rt)
        except auth.CannotCheck:
            return refuse(503, auth.CANNOT_CHECK)
        if who is None:
            if api:
                abort(401, "sign in first: /dashboard/login")
            return redirect("/dashboard/login")  # type: ignore[return-value]
        if not auth.allowed(who):
            return refuse(403, NO_ACCESS)
        return who

    def _period(self, zone: str) -> Any:
        text = request.args.get("month", "")
        try:
            if text:
                return parse_period(PeriodKind.MONTH, text)
            return period_of(PeriodKind.MONTH, self.rt.now(), zone)
        except ValueError as exc:  # what was wrong, as the CLI says it (2026-13, 9999-12)
            abort(400, f"?month={exc}")

    def _customer(self, who: Actor, key: str) -> Customer:
        found = self.rt.contracts.by_key(key)
        if found is None or not (who.is_staff or who.customer == found.key):
            abort(404)
        return found

    def _scope(self, who: Actor, key: str) -> Customer | None:
        """The customer a CSV or the trend is about: None is every customer (staff only); a
        contact asking for none gets their own organisation."""
        if not key and not who.is_staff:
            key = who.customer or ""
        return self._customer(who, key) if key else None

    def _show(self, title: str, who: Actor, body: str, **values: Any) -> str:
        return _page(title, who, body, local=auth.open_locally(self.rt), **values)

    def overview(self) -> Any:
        who = self._viewer()
        if not isinstance(who, Actor):
            return who
        if not who.is_staff:  # their own page, of the month asked for (a link, a bookmark)
            month = request.args.get("month")
            query = f"?{urlencode({'month': month})}" if month else ""
            return redirect(f"/dashboard/customer/{who.customer}{query}")
        period = self._period("UTC")
        view = self.views.get(period, None)
        rows = [self._row(c, view) for c in self.rt.contracts.customers]
        return self._show(
            "All customers",
            who,
            templates.OVERVIEW,
            tiles=_tiles(view.overall, view.open_by_severity),
            rows=rows,
            month=period.label,
            as_of=f"{view.as_of:%Y-%m-%d %H:%M} UTC",
            csv=f"/dashboard/csv/?month={period.label}&table=",
            trend=f"/dashboard/trend.json?month={period.label}",
        )

    def _trend(self, rt: Runtime, period: Period, customer: Customer | None) -> trend.Trend:
        return trend.load(rt, period, customer, lambda one: self.ended.get(one, customer))

    def _row(self, customer: Customer, view: data.View) -> dict[str, str]:
        f, report = view.customer(customer.key), view.statement(customer.key)
        avail = report.availability if report else None
        return {
            "key": customer.key, "name": customer.name, "tier": customer.tier.title(),
            "opened": str(f.opened if f else 0), "resolved": str(f.resolved if f else 0),
            "response": _sla(f.response_sla) if f else "–",
            "resolution": _sla(f.resolution_sla) if f else "–",
            "mttr": duration(f.resolution.mean) if f else "–",
            "csat": f"{f.csat_mean:.2f}" if f and f.csat_mean is not None else "–",
            "availability": f"{avail.percent} %" if avail else "–",
            "credits": _owed(report) if report else "–",
        }  # fmt: skip

    def customer(self, key: str) -> Any:
        who = self._viewer()
        if not isinstance(who, Actor):
            return who
        customer = self._customer(who, key)
        period = self._period(customer.timezone)
        view = self.views.get(period, customer)
        report = view.statement(customer.key)
        assert report is not None
        avail = report.availability
        breaches = [b | {"late": duration(timedelta(seconds=b["late_by_s"] or 0))}
                    for b in data.render.breach_rows(view.groups)]  # fmt: skip
        plans_when, plans = data.balances(self.rt, customer, period)
        return self._show(
            customer.name, who, templates.CUSTOMER, tiles=_tiles(view.overall,
            view.open_by_severity), month=period.label,
            as_of=f"{view.as_of:%Y-%m-%d %H:%M} UTC", lines=data.credit_rows(report,
            staff=who.is_staff), credit_total=f"{_owed(report)} owed",
            availability=(f"{avail.percent} % (target {report.terms.availability_target} %)"
                          if avail else ""), notes=report.notes if who.is_staff else (),
            breaches=breaches, plans=plans, plans_when=plans_when,
            csv=f"/dashboard/csv/{customer.key}?month={period.label}&table=",
            trend=f"/dashboard/trend/{customer.key}.json?month={period.label}",
        )  # fmt: skip

    def csv(self, key: str = "") -> Any:
        who = self._viewer(api=True)
        if not isinstance(who, Actor):
            return who
        table = request.args.get("table", "")
        if table not in (*data.TABLES, "trend"):
            abort(404)
        customer = self._scope(who, key)
        period = self._period(customer.timezone if customer else "UTC")
        if table == "trend":  # twelve months of its own, without the page's view
            body = trend.as_csv(self.trends.get(period, customer))
        else:
            view = self.views.get(period, customer)
            body = data.csv_table(view, table, staff=who.is_staff)
        name = f"supportbot-{table}-{customer.key if customer else 'all'}-{period.label}.csv"
        disposition = {"Content-Disposition": f'attachment; filename="{name}"'}
        return Response(body, mimetype="text/csv", headers=disposition)

    def trend(self, key: str = "") -> Any:
        """The charts' figures, with the same access as the pages and their CSV."""
        who = self._viewer(api=True)
        if not isinstance(who, Actor):
            return who
        customer = self._scope(who, key)
        period = self._period(customer.timezone if customer else "UTC")
        body = trend.as_json(self.trends.get(period, customer))
        return Response(body, mimetype="application/json")

    def logout(self) -> Any:
        auth.check_csrf()
        if not auth.sign_out(self.rt):
            return _refused(503, auth.NOT_SIGNED_OUT)
        return _refused(200, "You are signed out.")


# Scripts only from the dashboard's own files (assets.py), none inline; nothing elsewhere. The
# last two are not covered by default-src: no <base> may move where the scripts come from, and
# forms post only here.
POLICY = (
    "default-src 'self'; style-src 'unsafe-inline'; script-src 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'self'"
)


def register(app: Flask, rt: Runtime) -> None:
    """Mount the dashboard on the web app (web.py)."""
    auth.configure(app, rt)
    pages = Pages(rt)
    bp = Blueprint("dashboard", __name__)
    bp.get("/dashboard")(pages.overview)
    bp.get("/dashboard/customer/<key>")(pages.customer)
    bp.get("/dashboard/csv/")(pages.csv)
    bp.get("/dashboard/csv/<key>")(pages.csv)
    bp.get("/dashboard/trend.json")(pages.trend)
    bp.get("/dashboard/trend/<key>.json")(pages.trend)
    bp.get("/dashboard/static/<name>")(assets.serve)
    bp.add_url_rule("/dashboard/login", "login", lambda: auth.login(rt))
    bp.add_url_rule("/dashboard/callback", "callback", lambda: auth.callback(rt))
    bp.post("/dashboard/logout")(pages.logout)

    @bp.errorhandler(HTTPException)
    def _machine_readable(exc: HTTPException) -> Response | HTTPException:
        """A CSV or JSON download refused says why in its own kind of body, not in HTML."""
        path, status = request.path, exc.code or 500
        reason = exc.description or exc.name
        if path.startswith("/dashboard/trend"):
            body = json.dumps({"error": reason, "status": status}, ensure_ascii=False)
            return Response(body, status=status, mimetype="application/json")
        if path.startswith("/dashboard/csv"):
            return Response(f"{reason}\n", status=status, mimetype="text/plain")
        return exc

    @bp.after_request
    def _headers(response: Response) -> Response:
        response.headers.setdefault("Cache-Control", "no-store")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Content-Security-Policy", POLICY)
        return response

    app.register_blueprint(bp)


def _owed(report: Statement) -> str:
    return money_text(report.total, report.currency, grouped=True)
