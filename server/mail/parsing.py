"""Reading an incoming message: who sent it, what it says, what it answers.

Mail comes from anyone, so nothing here trusts it: every header is read
defensively, the text is taken from the plain part (or from the HTML when
there is none), and the files are kept as bytes with names made safe. What
cannot be read is left empty rather than refused; the whole message stays
in `source` either way.
"""

from __future__ import annotations

import email
import hashlib
import logging
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage, Message
from email.utils import getaddresses
from html.parser import HTMLParser
from typing import cast

log = logging.getLogger(__name__)

MAX_FILES = 10
MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_SUBJECT = 300
MAX_ID = 255
REFERENCE = re.compile(r"\bCH-(\d{6})\b", re.IGNORECASE | re.ASCII)
MESSAGE_ID = re.compile(r"<[^<>\s]{1,250}>")
NULL_SENDER = ("", "<>")
AUTOMATIC_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}
# Names Windows will not open a file by, whatever the extension.
RESERVED_NAMES = re.compile(r"^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$", re.IGNORECASE)
UNSAFE_CHARACTERS = set('<>:"/\\|?*')


@dataclass(frozen=True)
class File:
    filename: str
    mime: str
    content: bytes


@dataclass(frozen=True)
class Incoming:
    message_id: str
    sender: str
    subject: str
    text: str
    # Message-IDs this one answers: In-Reply-To first, then References from
    # the newest back.
    thread: tuple[str, ...]
    in_reply_to: str | None
    # An auto-reply, a bounce or a mailing list: never answered, never a reply.
    automatic: bool
    files: tuple[File, ...]
    # Files left out because there were too many or they were too large.
    skipped: int
    source: str


def read(raw: bytes, envelope_sender: str | None) -> Incoming:
    """Everything casehub uses of a message, however malformed it is."""
    message = cast(EmailMessage,
                   email.message_from_bytes(raw, policy=policy.default))
    body = _body_part(message)
    files, skipped = _files(message, body)
    in_reply_to = _ids(_header(message, "In-Reply-To"))
    references = _ids(_header(message, "References"))
    thread = tuple(dict.fromkeys([*in_reply_to, *reversed(references)]))
    return Incoming(
        message_id=_message_id(message, raw),
        sender=_sender(message, envelope_sender),
        subject=_clean(" ".join(_header(message, "Subject").split()))[:MAX_SUBJECT],
        text=_clean(_text_of(body)).strip(),
        thread=thread,
        in_reply_to=in_reply_to[0] if in_reply_to else None,
        automatic=_is_automatic(message, envelope_sender),
        files=tuple(files),
        skipped=skipped,
        source=_clean(raw.decode("utf-8", errors="replace")),
    )


def references(text: str) -> list[str]:
    """Case references written in `text`, as CH-123456, first to last."""
    return [f"CH-{digits}" for digits in REFERENCE.findall(text)]


def reply_text(text: str) -> str:
    """The new part of a reply: the quoted message below it is cut off.

    Mail programs quote the message being answered after a line such as
    "On 3 May, X wrote:" or "-----Original Message-----", or line by line
    with ">". When cutting would leave nothing, the whole text is kept.
    """
    lines = text.splitlines()
    kept: list[str] = []
    for index, line in enumerate(lines):
        following = lines[index + 1] if index + 1 < len(lines) else ""
        if _starts_quote(line, following):
            break
        if not line.lstrip().startswith(">"):
            kept.append(line)
    new = "\n".join(kept).strip()
    return new or text.strip()


def safe_filename(name: str | None, number: int) -> str:
    """A file name fit to offer for download: no folders, no tricks."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable() and ch not in
                   UNSAFE_CHARACTERS)
    name = name.strip(" .")
    if RESERVED_NAMES.match(name):
        name = f"_{name}"
    if not name:
        return f"attachment-{number}"
    if len(name) > 120:
        _, dot, extension = name.rpartition(".")
        keep = f".{extension}" if dot and len(extension) <= 10 else ""
        name = name[: 120 - len(keep)] + keep
    return name


def _starts_quote(line: str, following: str) -> bool:
    stripped = line.strip()
    if re.fullmatch(r"-{2,}\s*Original Message\s*-{2,}", stripped, re.IGNORECASE):
        return True
    if re.fullmatch(r"_{10,}", stripped):
        return True
    # "On 3 Dec 2026, X wrote:" always carries a date; a sentence that
    # happens to start with "On" seldom has a number in it.
    if not stripped.lower().startswith("on ") or not re.search(r"\d", stripped):
        return False
    # Some programs wrap the line: "On Mon, X <x@y" / "z> wrote:".
    return (stripped.endswith("wrote:")
            or (len(stripped) < 200 and following.strip().endswith("wrote:")))


def _header(message: Message, name: str) -> str:
    """A header's text, or "" when it is missing or cannot be parsed."""
    try:
        value = message.get(name)
        return str(value) if value is not None else ""
    except Exception:
        # The email package raises assorted errors on hostile headers.
        return ""


def _message_id(message: Message, raw: bytes) -> str:
    found = _ids(_header(message, "Message-ID"))
    if found and len(found[0]) <= MAX_ID:
        return found[0]
    # No usable id: name the message by its bytes, so a resend still matches.
    return f"<{hashlib.sha256(raw).hexdigest()}@no-message-id.casehub>"


def _ids(value: str) -> list[str]:
    return MESSAGE_ID.findall(value)


def _sender(message: Message, envelope_sender: str | None) -> str:
    for _, address in getaddresses([_header(message, "From")]):
        if "@" in address:
            return _clean(address.strip().lower())[:254]
    if envelope_sender in NULL_SENDER:
        return ""
    return _clean((envelope_sender or "").strip().lower())[:254]


def _is_automatic(message: Message, envelope_sender: str | None) -> bool:
    auto = _header(message, "Auto-Submitted").strip().lower()
    precedence = _header(message, "Precedence").strip().lower()
    return bool(
        (auto and auto != "no")
        or precedence in AUTOMATIC_PRECEDENCE
        or _header(message, "X-Autoreply") or _header(message, "X-Autorespond")
        or _header(message, "List-Id")
        or message.get_content_type() == "multipart/report"
        # A bounce comes from the null sender, <>.
        or envelope_sender in NULL_SENDER
    )


def _body_part(message: EmailMessage) -> Message | None:
    try:
        return message.get_body(preferencelist=("plain", "html"))
    except Exception:
        return None


def _text_of(part: Message | None) -> str:
    if part is None:
        return ""
    try:
        content = cast(EmailMessage, part).get_content()
    except Exception:
        # An unknown charset or a broken encoding: read what bytes there are.
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", errors="replace") if isinstance(
            payload, bytes) else ""
    if not isinstance(content, str):
        return ""
    if part.get_content_type() == "text/html":
        return html_to_text(content)
    return content.replace("\r\n", "\n")


def _files(message: EmailMessage, body: Message | None) -> tuple[list[File], int]:
    files: list[File] = []
    skipped = 0
    for number, part in enumerate(_leaves(message), start=1):
        if part is body or _is_text_alternative(part):
            continue
        content = _content_of(part)
        if len(files) >= MAX_FILES or len(content) > MAX_FILE_BYTES:
            skipped += 1
            continue
        filename = safe_filename(_filename(part), number)
        files.append(File(filename, _mime(part), content))
    if skipped:
        log.info("left out %d attachments over the limits", skipped)
    return files, skipped


def _leaves(part: Message) -> Iterator[Message]:
    if part.get_content_maintype() == "multipart":
        payload = part.get_payload()
        for sub in payload if isinstance(payload, list) else []:
            if isinstance(sub, Message):
                yield from _leaves(sub)
    else:
        yield part


def _is_text_alternative(part: Message) -> bool:
    """A second text or HTML body, as opposed to a text file sent with it."""
    return (part.get_content_maintype() == "text"
            and part.get_content_disposition() != "attachment"
            and not _filename(part))


def _filename(part: Message) -> str | None:
    try:
        return part.get_filename()
    except Exception:
        return None


def _content_of(part: Message) -> bytes:
    if part.get_content_maintype() == "message":
        inner = part.get_payload()
        if isinstance(inner, list) and inner:
            try:
                return cast(Message, inner[0]).as_bytes()
            except Exception:
                return b""
        return b""
    payload = part.get_payload(decode=True)
    return payload if isinstance(payload, bytes) else b""


def _mime(part: Message) -> str:
    mime = part.get_content_type().lower()
    if not re.fullmatch(r"[a-z0-9.+-]+/[a-z0-9.+-]+", mime) or len(mime) > 120:
        return "application/octet-stream"
    return mime


def _clean(text: str) -> str:
    """Text fit for any database: PostgreSQL refuses the NUL character."""
    return text.replace("\x00", "")


class _TextOfHtml(HTMLParser):
    BLOCKS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6",
              "blockquote", "table", "ul", "ol"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag in {"script", "style", "head"}:
            self._hidden += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style", "head"}:
            self._hidden = max(self._hidden - 1, 0)
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(re.sub(r"\s+", " ", data))


def html_to_text(html: str) -> str:
    parser = _TextOfHtml()
    parser.feed(html)
    parser.close()
    lines = [" ".join(line.split()) for line in "".join(parser.parts).split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
