"""sources/labels.py: services, teams and causes named by a label's prefix."""

from __future__ import annotations

from deploygate.model import ServiceSeen
from deploygate.sources.labels import services_seen, suffixes


def test_suffixes_keep_only_the_prefixed_labels_in_order() -> None:
    labels = ("team:payments", "bug", "team:platform", "teams:x")
    assert suffixes(labels, "team:") == ["payments", "platform"]


def test_each_service_is_seen_once_with_the_label_that_names_it() -> None:
    labels = ["service:web", "postmortem", "service:checkout", "service:web"]
    assert services_seen(labels, "service:", "Linear label") == (
        ServiceSeen("checkout", "Linear label service:checkout"),
        ServiceSeen("web", "Linear label service:web"),
    )
