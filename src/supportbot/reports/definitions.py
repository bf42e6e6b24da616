"""One written definition per figure (the same text as docs/metrics.md), for CSV headers."""

from __future__ import annotations

DEFINITIONS: dict[str, str] = {
    "period": "a calendar day (label 2026-11-30), ISO week (Monday to Monday, label 2026-W48) "
    "or month (label 2026-11), from local midnight of its first day to local midnight of the "
    "next period's first day in the customer's zone (UTC for internal incidents); an incident "
    "belongs to the period it was opened in",
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
    "business_time": "for incidents whose SLA clock runs on business hours (business_clock "
    "counts them): mean_response_business_s, mtta_business_s and mttr_business_s are the "
    "same means as mean_response, mtta and mttr, each duration counted on the customer's "
    "business calendar (business_calendar: its hours, days, zone and holidays) as the clock "
    "counts time; waiting-on-customer pauses are not taken out (as in mttr); empty for a "
    "group with no such incident (24x7 customers, internal incidents, Sev1 on Premier and "
    "Standard) and for a group whose business-clock incidents run on different calendars "
    "(business_calendar says mixed); wall-clock incidents of a group count in the wall-clock "
    "means only (opened - business_clock of them)",
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
    "currency's unit (the cent for most), ROUND_HALF_UP per line, then summed; the contract "
    "may set other amounts and limits",
    "availability": "(month length − downtime) / month length, the month in the customer's "
    "zone; downtime = union of the open intervals of the customer's Sev1 incidents marked as "
    "an outage, clipped to the month, minus declared maintenance windows; below a band's "
    "threshold (strictly) costs its percentage of the monthly fee, to the currency's unit, half up",
    "csat": "ratings (1–5, one per resolved customer incident, given by the customer's side) "
    "of incidents opened in the period: csat_mean is their mean, csat_4_5_share the share of "
    "4s and 5s; incidents not rated are left out of both (csat_ratings counts those rated)",
    "utilisation": "pages (SMS or calls sent, a bundle counted once) and interruptions (incidents "
    "that paged a person, at their first page) per person and per paged region, in the UTC "
    "period (day, week or month), split by the person's local time: sleep 22:00-08:00, "
    "business Mon-Fri 09:00-17:00, off the rest; a person's zone is their first rota "
    "region's",
    "trend": "the same figures for each of the 12 periods (days, weeks or months) ending with "
    "the one asked for",
    "waiver": "a credit line waived by staff stays listed with its reason and counts nothing",
    "cap": "the month's total is at most cap_percent (default 100 %) of the monthly fee; a "
    "month over it has a cap line, negative, so the amounts not waived add up to what is owed",
}
