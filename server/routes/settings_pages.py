"""Settings the hub's supervisors keep: response templates and category targets."""

from __future__ import annotations

from quart import Blueprint, flash, redirect, request, url_for
from quart_schema import hide
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers.response import Response as Redirect

from server.auth import current_staff
from server.csrf import check_csrf
from server.errors import ApiError
from server.hub import responses, targets
from server.hub.actions import PLACEHOLDERS
from server.hub.models import ResponseTemplate
from server.models import Category, User
from server.routes.forms import FormProblem, Reader, from_rejection
from server.routes.nav import LEADS
from server.routes.rendering import page, serve_pages
from sync.errors import Rejected
from sync.feed import write_transaction

blueprint = Blueprint("settings_pages", __name__)
serve_pages(blueprint)

TEMPLATES = "/staff/settings/templates"


@blueprint.get(TEMPLATES)
@hide
async def templates_page() -> tuple[str, int]:
    user = await current_staff(*LEADS)
    return await _templates(user, None, MultiDict())


@blueprint.get(f"{TEMPLATES}/<int:template_id>")
@hide
async def template_page(template_id: int) -> tuple[str, int]:
    user = await current_staff(*LEADS)
    template = await _template(template_id)
    values = MultiDict({"name": template.name, "body": template.body,
                        "category_id": str(template.category_id or ""),
                        "active": "1" if template.active else ""})
    return await _templates(user, template, values)


@blueprint.post(TEMPLATES)
@hide
async def add_template() -> Redirect | tuple[str, int]:
    return await _save(None)


@blueprint.post(f"{TEMPLATES}/<int:template_id>")
@hide
async def change_template(template_id: int) -> Redirect | tuple[str, int]:
    return await _save(template_id)


async def _save(template_id: int | None) -> Redirect | tuple[str, int]:
    await check_csrf()
    user = await current_staff(*LEADS)
    template = await _template(template_id) if template_id is not None else None
    values = await request.form
    if values.get("action") == "preview":
        return await _templates(user, template, values)

    read = Reader(values, "template")
    try:
        draft = responses.Draft(
            name=values.get("name", ""), body=values.get("body", ""),
            category_id=read.optional_id("category_id", "a category"),
            active=read.flag("active"))
        saved = await responses.save(draft, template)
    except FormProblem as problem:
        return await _templates(user, template, values, problem)
    except Rejected as rejected:
        return await _templates(user, template, values,
                                from_rejection(rejected, "template"))
    await flash(f"The template '{saved.name}' is saved.")
    return redirect(url_for("settings_pages.templates_page"))


async def _template(template_id: int) -> ResponseTemplate:
    template = await ResponseTemplate.get_or_none(id=template_id)
    if template is None:
        raise ApiError(404, "template_not_found",
                       f"There is no template {template_id}.")
    return template


async def _templates(user: User, template: ResponseTemplate | None,
                     values: MultiDict[str, str],
                     problem: FormProblem | None = None) -> tuple[str, int]:
    body = values.get("body", "")
    return await page(
        "settings_templates.html", user, problem.status if problem else 200,
        problem=problem, template=template, values=values,
        templates=await ResponseTemplate.all().select_related("category")
        .order_by("name"),
        categories=await Category.all().order_by("name"),
        placeholders=[(name, responses.MEANINGS[name]) for name in PLACEHOLDERS],
        example=responses.EXAMPLE, preview=responses.preview(body),
        unknown=responses.unknown_placeholders(body),
        adding=template is None and not values.get("name")
        and not values.get("body"),
    )


@blueprint.get("/staff/settings/categories")
@hide
async def categories_page() -> tuple[str, int]:
    user = await current_staff(*LEADS)
    return await _categories(user, MultiDict())


@blueprint.post("/staff/settings/categories")
@hide
async def save_categories() -> Redirect | tuple[str, int]:
    await check_csrf()
    user = await current_staff(*LEADS)
    values = await request.form
    read = Reader(values, "targets")
    categories = await Category.all().order_by("name")

    try:
        wanted = [(category, *_targets_of(read, category))
                  for category in categories]
        changed = await _change_targets(read, wanted)
    except FormProblem as problem:
        return await _categories(user, values, problem)

    await flash(f"Targets saved for {', '.join(changed)}." if changed
                else "Nothing changed: every category already had those targets.")
    return redirect(url_for("settings_pages.categories_page"))


async def _change_targets(read: Reader,
                          wanted: list[tuple[Category, int, int]]) -> list[str]:
    """Set every category's targets in one transaction: all of them, or none."""
    changed = []
    async with write_transaction() as writer:
        for category, hours, days in wanted:
            try:
                moved = await targets.change_category_targets(writer, category,
                                                              hours, days)
            except Rejected as rejected:
                box = "ack" if rejected.field == "acknowledge_hours" else "days"
                raise read.error(f"{box}-{category.id}",
                                 f"{category.name}: {rejected.detail}") from None
            if moved:
                changed.append(category.name)
    return changed


def _targets_of(read: Reader, category: Category) -> tuple[int, int]:
    hours = read.number(f"ack-{category.id}",
                        f"{category.name}'s acknowledgement target", low=1,
                        high=targets.MOST_ACKNOWLEDGE_HOURS)
    days = read.number(f"days-{category.id}", f"{category.name}'s answer target",
                       low=1, high=targets.MOST_ANSWER_DAYS)
    return hours, days


async def _categories(user: User, values: MultiDict[str, str],
                      problem: FormProblem | None = None) -> tuple[str, int]:
    return await page(
        "settings_categories.html", user, problem.status if problem else 200,
        problem=problem, values=values,
        categories=await Category.all().select_related("department")
        .order_by("name"),
        most_hours=targets.MOST_ACKNOWLEDGE_HOURS,
        most_days=targets.MOST_ANSWER_DAYS,
    )
