"""Reports where people are: ``/sla report``, the monthly report per customer (reviewed in
triage, approved by staff, then posted to the customer), and the weekly on-call digest."""
