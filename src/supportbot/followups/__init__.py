"""Follow-ups owed beside the SLA clocks (issue 13): the Severity 1 customer update cadence,
root cause analyses after resolution, and the predictive escalation forecast."""
