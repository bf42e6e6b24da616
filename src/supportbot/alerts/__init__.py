"""Alerts from monitoring: Alertmanager, Grafana and a generic JSON webhook.

Pure parts: the integrations file (:mod:`.integrations`), the payload formats
(:mod:`.payloads`) and the rules of grouping, severity, summaries and links (:mod:`.rules`).
Services: storing alerts and opening, updating and resolving their incidents
(:mod:`.service`), and the coalesced thread summaries with their re-pages (:mod:`.summary`).
"""
