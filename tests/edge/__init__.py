"""The edge: malformed, replayed and hostile requests get a clear answer, never a 500."""
