"""The hub's mail pages: unmatched mail to sort, failed mail, and the files.

Only hub staff see mail no rule could place. A file that came with an
email is downloaded by anyone who may see its case: hub staff, and the
officers of the department the case is with. Departments outside casehub
see a case's photos through the signed links in their hand-off email.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import quote

from quart import (
    Blueprint,
    Response,
    current_app,
    flash,
    get_flashed_messages,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from quart_schema import hide
from werkzeug.wrappers.response import Response as Redirect

from server import photos
from server.auth import current_staff
from server.casework import is_staff_for
from server.config import Settings
from server.csrf import check_csrf, csrf_token
from server.errors import ApiError
from server.mail import attachments, links, sorting
from server.mail.models import Attachment, MailDirection, MailMessage, MailState
from server.mail.wording import local_time
from server.models import Case, CaseKind, CasePhoto, Photo, Role, User
from sync.errors import Rejected

log = logging.getLogger(__name__)

blueprint = Blueprint("mail_pages", __name__)

HUB = (Role.HUB_AGENT, Role.HUB_SUPERVISOR, Role.ADMIN)
REFERENCE = re.compile(r"CH-\d{6}", re.ASCII)
LISTED = 200
KINDS = {
    CaseKind.MEMBER_ENQUIRY.value: "Member enquiry: a written answer is owed",
    CaseKind.SERVICE_REQUEST.value: "Service request: something to be fixed",
}
# Rejections by the field of the form they belong to.
FIELDS = {"not_a_member": "member_id", "case_not_found": "reference"}


@dataclass
class Problems:
    """What is wrong with a submitted form, by field, in words for the page."""

    fields: dict[str, str] = field(default_factory=dict)
    general: str | None = None

    def __bool__(self) -> bool:
        return bool(self.fields or self.general)


@blueprint.get("/staff/mail")
@hide
async def unmatched() -> Redirect | str | tuple[str, int]:
    user = await _hub_staff()
    if not isinstance(user, User):
        return user
    waiting = await MailMessage.filter(
        direction=MailDirection.IN, state=MailState.UNMATCHED
    ).order_by("-created_at").limit(LISTED)
    failed = await MailMessage.filter(
        direction=MailDirection.OUT, state=MailState.FAILED
    ).order_by("-created_at").limit(LISTED)
    counts = await _attachment_counts([mail.id for mail in waiting])
    return await render_template(
        "mail_list.html", user=user, csrf=csrf_token(), waiting=waiting,
        failed=failed, counts=counts, when=local_time,
        done=get_flashed_messages(), references=await _references(failed),
    )


@blueprint.get("/staff/mail/<int:mail_id>")
@hide
async def read(mail_id: int) -> Redirect | str | tuple[str, int]:
    user = await _hub_staff()
    if not isinstance(user, User):
        return user
    mail = await _incoming(mail_id)
    return await _message_page(user, mail, Problems(), {}, 200)


@blueprint.post("/staff/mail/<int:mail_id>/open-case")
@hide
async def open_case(mail_id: int) -> Redirect | str | tuple[str, int]:
    user = await _hub_staff()
    if not isinstance(user, User):
        return user
    await check_csrf()
    mail = await _incoming(mail_id)
    form = await request.form
    member_id = form.get("member_id", "")
    kind = form.get("kind", CaseKind.MEMBER_ENQUIRY.value)

    problems = Problems()
    member = None
    if member_id.isdecimal():
        member = await User.get_or_none(id=int(member_id), role=Role.MEMBER,
                                        active=True)
    if member is None:
        problems.fields["member_id"] = "Choose the member the case is for."
    if kind not in KINDS:
        problems.fields["kind"] = "Choose whether it is an enquiry or a request."
    if problems or member is None:
        return await _message_page(user, mail, problems, form, 422)

    try:
        case = await sorting.open_case(_settings(), mail, user, member,
                                       CaseKind(kind))
    except Rejected as rejected:
        return await _refused(user, mail, rejected, form)
    log.info("mail %d opened as case %s by staff user %d", mail.id,
             case.reference, user.id)
    await flash(f"The email from {mail.sender} is now case {case.reference}.")
    return redirect(url_for("mail_pages.unmatched"))


@blueprint.post("/staff/mail/<int:mail_id>/add-to-case")
@hide
async def add_to_case(mail_id: int) -> Redirect | str | tuple[str, int]:
    user = await _hub_staff()
    if not isinstance(user, User):
        return user
    await check_csrf()
    mail = await _incoming(mail_id)
    form = await request.form
    reference = form.get("reference", "").strip().upper()

    if not REFERENCE.fullmatch(reference):
        problems = Problems({"reference": "Enter a case reference: CH- and six "
                                          "digits, such as CH-100123."})
        return await _message_page(user, mail, problems, form, 422)
    try:
        case = await sorting.add_to_case(_settings(), mail, user, reference)
    except Rejected as rejected:
        return await _refused(user, mail, rejected, form)
    log.info("mail %d added to case %s by staff user %d", mail.id, case.reference,
             user.id)
    await flash(f"The email from {mail.sender} is on case {case.reference}.")
    return redirect(url_for("mail_pages.unmatched"))


@blueprint.post("/staff/mail/<int:mail_id>/dismiss")
@hide
async def dismiss(mail_id: int) -> Redirect | str | tuple[str, int]:
    user = await _hub_staff()
    if not isinstance(user, User):
        return user
    await check_csrf()
    mail = await _incoming(mail_id)
    form = await request.form
    reason = " ".join(form.get("reason", "").split())

    if not reason or len(reason) > 300:
        problems = Problems({"reason": "Say in up to 300 characters why this "
                                       "email needs nothing doing."})
        return await _message_page(user, mail, problems, form, 422)
    try:
        await sorting.dismiss(mail, user, reason)
    except Rejected as rejected:
        return await _refused(user, mail, rejected, form)
    log.info("mail %d dismissed by staff user %d", mail.id, user.id)
    await flash(f"The email from {mail.sender} is dismissed.")
    return redirect(url_for("mail_pages.unmatched"))


@blueprint.post("/staff/mail/<int:mail_id>/send-again")
@hide
async def send_again(mail_id: int) -> Redirect | str | tuple[str, int]:
    user = await _hub_staff()
    if not isinstance(user, User):
        return user
    await check_csrf()
    mail = await MailMessage.get_or_none(id=mail_id, direction=MailDirection.OUT)
    if mail is None:
        raise ApiError(404, "mail_not_found", f"There is no email {mail_id}.")
    try:
        await sorting.send_again(mail, user)
    except Rejected as rejected:
        await flash(rejected.detail)
    else:
        log.info("mail %d queued again by staff user %d", mail.id, user.id)
        await flash(f"The email to {mail.recipient} is queued to be sent again.")
    return redirect(url_for("mail_pages.unmatched"))


@blueprint.get("/staff/mail/attachments/<int:attachment_id>")
@hide
async def download(attachment_id: int) -> Response:
    """A file that came by email, for staff who may see its case."""
    user = await current_staff()
    found = await Attachment.get_or_none(id=attachment_id)
    if found is None or not await _may_download(user, found):
        raise ApiError(404, "attachment_not_found",
                       f"There is no attachment {attachment_id}.")

    path = attachments.path_for(_settings(), found.sha256)
    response = await send_file(path, mimetype=attachments.download_type(found.mime))
    response.headers["Content-Disposition"] = _disposition(found.filename)
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@blueprint.get("/mail/photos/<reference>/<sha256>")
@hide
async def photo_by_link(reference: str, sha256: str) -> Response:
    """A case photo for a department outside casehub, by a signed link."""
    case = await Case.get_or_none(reference=reference.upper())
    until = request.args.get("until", "")
    photo = await Photo.get_or_none(sha256=sha256) if case else None
    if (case is None or photo is None or not until.isdecimal()
            or not await CasePhoto.exists(case_id=case.id, photo_id=sha256)
            or not await links.link_holds(case, sha256, int(until),
                                          request.args.get("sig", ""))):
        raise ApiError(404, "photo_link_invalid",
                       "This photo link has expired, or the case has moved on; "
                       "ask the Customer Hub for the photo.")

    root = _settings().photo_dir
    response = await send_file(photos.path_for(root, sha256), mimetype=photo.mime)
    response.headers["Cache-Control"] = "private, max-age=3600"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


async def _may_download(user: User, attachment: Attachment) -> bool:
    """Unmatched mail's files are the hub's; a case's, its staff's."""
    if attachment.case_id is None:
        return user.is_hub
    case = await Case.get_or_none(id=attachment.case_id)
    return case is not None and is_staff_for(user, case)


async def _hub_staff() -> User | Redirect | tuple[str, int]:
    """The signed-in hub staff, or the page to show anyone else instead."""
    try:
        return await current_staff(*HUB)
    except ApiError as error:
        if error.status == 401:
            return redirect(url_for("staff_pages.sign_in_form"))
        page = await render_template("mail_not_allowed.html", csrf=csrf_token())
        return page, 403


async def _incoming(mail_id: int) -> MailMessage:
    mail = await MailMessage.get_or_none(id=mail_id, direction=MailDirection.IN)
    if mail is None:
        raise ApiError(404, "mail_not_found", f"There is no email {mail_id}.")
    return mail


async def _message_page(user: User, mail: MailMessage, problems: Problems,
                        form: object, status: int) -> tuple[str, int]:
    files = await Attachment.filter(mail_id=mail.id).order_by("id")
    members = await User.filter(role=Role.MEMBER, active=True).order_by("name")
    case = await Case.get_or_none(id=mail.case_id) if mail.case_id else None
    sorted_by = (await User.get_or_none(id=mail.sorted_by_id)
                 if mail.sorted_by_id else None)
    page = await render_template(
        "mail_message.html", user=user, csrf=csrf_token(), mail=mail, files=files,
        members=members, kinds=KINDS, problems=problems, form=form or {},
        case=case, sorted_by=sorted_by, when=local_time, size=_size,
        paragraphs=_paragraphs(mail.body),
    )
    return page, status


async def _refused(user: User, mail: MailMessage, rejected: Rejected,
                   form: object) -> tuple[str, int]:
    problems = Problems()
    if rejected.code in FIELDS:
        problems.fields[FIELDS[rejected.code]] = rejected.detail
    else:
        problems.general = rejected.detail
    status = 409 if rejected.code == "mail_already_sorted" else 422
    return await _message_page(user, mail, problems, form, status)


def _paragraphs(text: str) -> list[list[str]]:
    """The text's paragraphs, each a list of lines, for a page to show."""
    blocks = re.split(r"\n\s*\n", text.strip())
    return [block.splitlines() for block in blocks if block.strip()]


async def _attachment_counts(mail_ids: list[int]) -> Counter[int]:
    found = await Attachment.filter(mail_id__in=mail_ids)
    return Counter(attachment.mail_id for attachment in found)


async def _references(mails: list[MailMessage]) -> dict[str, str]:
    ids = {mail.case_id for mail in mails if mail.case_id}
    found = await Case.filter(id__in=list(ids)).values_list("id", "reference")
    return {str(case_id): str(reference) for case_id, reference in found}


def _size(count: int) -> str:
    if count < 1024:
        return f"{count} bytes"
    if count < 1024 * 1024:
        return f"{count / 1024:.0f} KB"
    return f"{count / (1024 * 1024):.1f} MB"


def _disposition(filename: str) -> str:
    """Content-Disposition for a download, with the name in plain and UTF-8."""
    plain = "".join(ch for ch in filename if ch.isascii() and ch.isprintable()
                    and ch not in '"\\;') or "attachment"
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(filename)}"


def _settings() -> Settings:
    settings: Settings = current_app.config["SETTINGS"]
    return settings
