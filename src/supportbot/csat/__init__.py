"""Customer satisfaction: one 1–5 question in the shared thread of each resolved customer
incident, answered once by the customer's side, with an optional comment (issue 10)."""
