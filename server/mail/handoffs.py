"""The email that hands a case to a department that does not use casehub.

It carries everything the department needs to do the work without signing
in anywhere: what the case is, its answers, where it is, who to contact,
and links to its photos. Its reply address and threading bring the
department's answer back onto the case.
"""

from __future__ import annotations

from server.mail import addresses, links, outbox
from server.mail.models import MailMessage
from server.mail.wording import kind_name, local_time
from server.models import Case, CasePhoto, Category, Department
from sync.feed import Writer


async def queue_handoff(writer: Writer, case: Case, department: Department,
                        note: str | None) -> MailMessage:
    """Queue the hand-off email in the transaction that hands the case over."""
    assert department.email, "casework checks the department has an address"
    category = (await Category.get_or_none(id=case.category_id)
                if case.category_id else None)
    photo_ids = await CasePhoto.filter(case_id=case.id).order_by("id").values_list(
        "photo_id", flat=True)
    photo_links = [await links.photo_link(case, str(sha), department.id)
                   for sha in photo_ids]

    what = category.name if category else "A case"
    subject = f"[{case.reference}] {what}"
    if case.address:
        subject += f" at {case.address}"
    message = outbox.compose(
        department.email, subject[:300],
        body(case, department, category, note, photo_links),
        to_name=department.name,
    )
    message["Reply-To"] = addresses.reply_address(case.reference)
    return await outbox.queue(writer.connection, message, case_id=case.id,
                              department_id=department.id)


def body(case: Case, department: Department, category: Category | None,
         note: str | None, photo_links: list[str]) -> str:
    lines = [
        f"{department.name},",
        "",
        f"The Customer Hub has passed you case {case.reference}. Please reply "
        "to this email to say what you have done or will do: your reply goes "
        "onto the case and to the member who raised it. Keep "
        f"{case.reference} in the subject.",
        "",
    ]
    if note:
        lines += ["Note from the hub:", _indent(note), ""]
    lines += [
        f"Case:      {case.reference}",
        f"Category:  {category.name if category else 'not yet chosen'}",
        f"Kind:      {kind_name(case.kind)}",
        f"Priority:  {case.priority.value.title()}",
        f"Raised:    {local_time(case.created_at)}",
    ]
    if case.due_at:
        lines.append(f"Answer by: {local_time(case.due_at)}")
    lines += ["", *_answers(case, category), "What was reported:",
              _indent(case.description), "", *_location(case),
              *_constituent(case), *_photos(photo_links)]
    return "\n".join(lines).rstrip() + "\n"


def _answers(case: Case, category: Category | None) -> list[str]:
    if not case.answers:
        return []
    labels = {question["id"]: question.get("label", question["id"])
              for question in (category.questions if category else [])}
    lines = ["Answers:"]
    for key, value in case.answers.items():
        shown = ", ".join(map(str, value)) if isinstance(value, list) else value
        lines.append(f"  {labels.get(key, key)}: {shown}")
    return [*lines, ""]


def _location(case: Case) -> list[str]:
    lines = []
    if case.address:
        lines.append(f"  Address: {case.address}")
    if case.latitude is not None and case.longitude is not None:
        place = f"{case.latitude:.6f}, {case.longitude:.6f}"
        if case.location_accuracy is not None:
            place += f" (within {case.location_accuracy:.0f} m)"
        lines += [f"  Position: {place}",
                  f"  Map: https://www.openstreetmap.org/?mlat={case.latitude:.6f}"
                  f"&mlon={case.longitude:.6f}#map=18/{case.latitude:.6f}/"
                  f"{case.longitude:.6f}"]
    return ["Where:", *lines, ""] if lines else []


def _constituent(case: Case) -> list[str]:
    details = [
        ("Name", case.constituent_name),
        ("Address", case.constituent_address),
        ("Phone", case.constituent_phone),
        ("Email", case.constituent_email),
    ]
    lines = [f"  {label}: {value}" for label, value in details if value]
    return ["Constituent:", *lines, ""] if lines else []


def _photos(photo_links: list[str]) -> list[str]:
    if not photo_links:
        return []
    return [f"Photos (the links work while the case is with you, for up to "
            f"{links.LINK_DAYS} days):", *(f"  {link}" for link in photo_links), ""]


def _indent(text: str) -> str:
    return "\n".join(f"  {line}" if line else "" for line in text.splitlines())
