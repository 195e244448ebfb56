"""What people write on demo cases: notes, replies, and why they call."""

MEMBER_NOTES = (
    "Spoke to the resident again; it is getting worse.",
    "Neighbours have raised this with me too.",
    "Photos sent to the hub by a constituent show the same.",
    "Resident asks to be kept informed.",
)
INTERNAL_NOTES = (
    "Checked the history: reported before, last year.",
    "Called the depot; they know about this one.",
    "Same location as an open case; keep an eye on both.",
    "Member phoned the hub about this too.",
    "Officer visit needed before any work can be booked.",
)
ACKNOWLEDGEMENTS = (
    "Thanks, logged and checked.",
    "Received; passing to the department today.",
    None,
    None,
)
DEPARTMENT_REPLIES = (
    "A crew has been booked for later this week.",
    "An officer visited and has arranged the work.",
    "We have written to the owner asking them to deal with it.",
    "This is on the schedule for the next round in the area.",
)
EMAIL_REPLIES = (
    "{department} replied by email: the work has been ordered.",
    "{department} say an inspector will call within ten working days.",
    "{department} have logged it under their own reference and will update.",
)
RESOLUTIONS = (
    "Done; the area has been cleared.",
    "Repaired and checked.",
    "Work completed this morning.",
    "Owner has dealt with it; site inspected.",
)
REOPENINGS = (
    "It is back again, please look at it once more.",
    "Resident says this was not actually fixed.",
)
WITHDRAWALS = (
    "Resident has sorted it themselves.",
    "Logged in error, sorry.",
    "Duplicate of another case.",
)
CLOSINGS = ("No further contact; closing.", None)
FOLLOW_UPS = (
    "Asked where the case had got to.",
    "Wanted to know when the crew will come.",
    "Resident has been on to the member again; asked for an update.",
    "Asked whether the department has a date yet.",
)
