"""SLA deadline maths: calendars, the target policy and deadlines. Pure logic, no I/O."""
