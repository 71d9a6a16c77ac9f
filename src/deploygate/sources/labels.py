"""Labels that name a service, a team or a cause by a prefix (``service:checkout``,
``team::payments``), as GitHub, GitLab and Linear postmortems carry them."""

from __future__ import annotations

from collections.abc import Iterable

from deploygate.model import ServiceSeen


def suffixes(labels: Iterable[str], prefix: str) -> list[str]:
    """What follows ``prefix`` in each label that starts with it (``team:`` → the teams)."""
    return [label.removeprefix(prefix) for label in labels if label.startswith(prefix)]


def services_seen(
    labels: Iterable[str], prefix: str, label: str = "label"
) -> tuple[ServiceSeen, ...]:
    """The services ``labels`` name, each with the label that names it (``label
    service:checkout``; ``label`` says what the platform calls one): read with the
    postmortems, whatever service they are about, so this costs no request."""
    return tuple(
        ServiceSeen(name.removeprefix(prefix), f"{label} {name}")
        for name in sorted(set(labels))
        if name.startswith(prefix)
    )
