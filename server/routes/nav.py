"""The staff pages each role works in, and where each role starts its day."""

from __future__ import annotations

from typing import NamedTuple

from server.models import Role, User

HUB = frozenset({Role.HUB_AGENT, Role.HUB_SUPERVISOR, Role.ADMIN})
LEADS = frozenset({Role.HUB_SUPERVISOR, Role.ADMIN})
OFFICERS = frozenset({Role.DEPARTMENT_OFFICER})
TRAINERS = frozenset({Role.TRAINER, Role.ADMIN})


class NavLink(NamedTuple):
    label: str
    url: str
    roles: frozenset[Role]


NAV = (
    NavLink("Queue", "/staff/queue", HUB),
    NavLink("Log a call", "/staff/calls/new", HUB),
    NavLink("Mail", "/staff/mail", HUB),
    NavLink("Escalations", "/staff/escalations", LEADS),
    NavLink("Dashboard", "/staff/dashboard", HUB),
    NavLink("Members", "/staff/members", HUB),
    NavLink("Department cases", "/staff/department", OFFICERS),
    NavLink("Training", "/staff/training/", TRAINERS),
    NavLink("Templates", "/staff/settings/templates", LEADS),
    NavLink("Targets", "/staff/settings/categories", LEADS),
    NavLink("Constituent data", "/staff/constituents", LEADS),
    NavLink("Audit log", "/staff/audit", frozenset({Role.ADMIN})),
)

START_PAGES = {
    Role.HUB_AGENT: "/staff/queue",
    Role.HUB_SUPERVISOR: "/staff/queue",
    Role.ADMIN: "/staff/queue",
    Role.DEPARTMENT_OFFICER: "/staff/department",
    Role.TRAINER: "/staff/training/",
}


def links_for(user: User) -> list[NavLink]:
    return [link for link in NAV if user.role in link.roles]


def start_page(user: User) -> str:
    return START_PAGES[user.role]
