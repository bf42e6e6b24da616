"""One written definition per figure (the same text as docs/metrics.md), for CSV headers."""

from __future__ import annotations

DEFINITIONS: dict[str, str] = {
    "period": "a calendar month from local midnight of its first day to local midnight of "
    "the next month's first day in the customer's zone (UTC for internal incidents); an "
    "incident belongs to the period it was opened in",
    "opened": "incidents opened in the period",
    "resolved": "incidents whose current resolution instant falls in the period",
    "open_at_end": "incidents opened before the period's end and not resolved by then",
    "mean_response": "mean of opened → first staff response (acknowledgement, staff reply or "
    "resolution: what stops the response clock), wall-clock time, over incidents opened in "
    "the period that have one; no_response counts the others apart",
    "mtta": "mean of opened → first acknowledgement (any channel: button, SMS, keypress); "
    "never_acknowledged counts the others apart",
    "mttr": "mean of opened → resolved over incidents opened in the period and resolved now; "
    "still_open counts the others apart",
    "response_sla": "met / (met + breached) of response clocks: met when the clock stopped at "
    "or before its due instant (which already counts business hours and pauses as the clock "
    "did); breached when it stopped after it or is still running past it; pending (not due "
    "yet, or paused) counted apart",
    "resolution_sla": "as response_sla, for the resolution clocks",
    "escalation_rate": "share of incidents opened in the period that went above L1; split by "
    "breach (the SLA breach escalated it), by policy (L3 engaged for a Sev1) and by hand; an "
    "incident may count in more than one split",
    "first_contact_resolution": "share of resolved incidents (of those opened in the period) "
    "resolved at L1, never escalated, with at most one staff reply to the customer",
    "credit": "a Sev1 response later than 1 h costs 5,000.00, a Sev2 response later than 4 h "
    "2,500.00 (USD), measured on the clock of the contract's response target; amounts to the "
    "cent, ROUND_HALF_UP per line, then summed; the contract may set other amounts and limits",
    "availability": "(month length − downtime) / month length, the month in the customer's "
    "zone; downtime = union of the open intervals of the customer's Sev1 incidents marked as "
    "an outage, clipped to the month, minus declared maintenance windows; below a band's "
    "threshold (strictly) costs its percentage of the monthly fee, to the cent, half up",
    "csat": "ratings (1–5, one per resolved customer incident, given by the customer's side) "
    "of incidents opened in the period: csat_mean is their mean, csat_4_5_share the share of "
    "4s and 5s; incidents not rated are left out of both (csat_ratings counts those rated)",
    "utilisation": "pages (SMS or calls sent, a bundle counted once) and interruptions (incidents "
    "that paged a person, at their first page) per person and per paged region, in the UTC "
    "month, split by the person's local time: sleep 22:00-08:00, business Mon-Fri "
    "09:00-17:00, off the rest; a person's zone is their first rota region's",
    "trend": "the same figures for each of the 12 months ending with the one asked for",
    "waiver": "a credit line waived by staff stays listed with its reason and counts nothing",
    "cap": "the month's total is at most cap_percent (default 100 %) of the monthly fee",
}
