"""Issue 13: keeping on-call attention where it is needed.

Acknowledgements that expire without progress (:mod:`.ackwatch`), and pages a person's
quiet hours or a contract's clock hold back (:mod:`.deferred`).
"""
