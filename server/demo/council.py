"""The fixed facts of the demo council: its places, parties and services."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

DEMO_PASSWORD = "demo-council-2026"
MEMBER_DOMAIN = "councillors.example"
STAFF_DOMAIN = "council.example"
HISTORY_DAYS = 182

WARDS = ("Balmoral", "Black Mountain", "Botanic", "Castle", "Collin", "Court",
         "Lisnasharragh", "Oldpark", "Ormiston", "Titanic")
MEMBERS = 60

# Name, short name, and a weight near each party's share of council seats.
PARTIES = (
    ("Sinn Féin", "SF", 22), ("DUP", "DUP", 14), ("Alliance", "APNI", 11),
    ("SDLP", "SDLP", 5), ("UUP", "UUP", 2), ("Green Party", "GPNI", 2),
    ("People Before Profit", "PBP", 2), ("TUV", "TUV", 1),
    ("Independent", "IND", 1),
)

FIRST_NAMES = (
    "Áine", "Aidan", "Andrew", "Brian", "Caoimhe", "Carl", "Ciarán", "Claire",
    "Conor", "Danny", "Deirdre", "Emma", "Fiona", "Gareth", "Gemma", "Gerry",
    "Gillian", "Hannah", "Jim", "Joanne", "John", "Karen", "Kate", "Kevin",
    "Laura", "Liam", "Lorraine", "Mark", "Mairéad", "Michael", "Natasha",
    "Niall", "Niamh", "Orla", "Paul", "Peter", "Rachel", "Ruth", "Ryan",
    "Seán", "Siobhán", "Stephen", "Tara", "Tom", "Una", "Wendy",
)
SURNAMES = (
    "Adair", "Beattie", "Boyd", "Brennan", "Campbell", "Carson", "Convery",
    "Cunningham", "Devlin", "Doherty", "Donnelly", "Ferguson", "Gallagher",
    "Graham", "Hamill", "Hargey", "Hutchinson", "Irvine", "Kelly", "Lavery",
    "Magee", "McAllister", "McCann", "McCullough", "McKeown", "McLaughlin",
    "Maginness", "Moore", "Murphy", "Nicholl", "O'Hare", "O'Neill", "Patterson",
    "Quinn", "Robinson", "Rodgers", "Scott", "Smyth", "Thompson", "Walsh",
    "Wilson", "Wright",
)

# Name, handoff email, and whether its officers work in casehub.
DEPARTMENTS = (
    ("Cleansing and Waste", None, True),
    ("Parks and Open Spaces", None, True),
    ("Environmental Health", None, True),
    ("Building Control", None, True),
    ("Street Lighting", "streetlighting@infrastructure.example", False),
    ("Roads and Drainage liaison", "roads.belfast@infrastructure.example", False),
    ("Housing liaison", "belfast.repairs@housing.example", False),
)


def _choice(id_: str, label: str, options: list[str],
            required: bool = True) -> dict[str, Any]:
    return {"id": id_, "label": label, "type": "choice", "required": required,
            "options": options}


def _text(id_: str, label: str, required: bool = False) -> dict[str, Any]:
    return {"id": id_, "label": label, "type": "text", "required": required}


@dataclass(frozen=True)
class CategoryPlan:
    code: str
    name: str
    department: str
    weight: int
    acknowledge_hours: int
    answer_days: int
    descriptions: tuple[str, ...]
    questions: tuple[dict[str, Any], ...] = ()


YES_NO = ["Yes", "No"]
CATEGORIES = (
    CategoryPlan(
        "fly_tipping", "Fly-tipping", "Cleansing and Waste", 14, 8, 5,
        ("Rubbish dumped in the entry behind {street}.",
         "Someone has left a pile of stuff at the corner of {street}.",
         "Dumped waste blocking the footpath on {street} again."),
        (_choice("what", "What was dumped",
                 ["Household bags", "Mattress or furniture", "Builders' rubble",
                  "Garden waste", "Tyres", "Other"]),
         _choice("amount", "How much",
                 ["A bag or two", "A car boot load", "A van load or more"],
                 required=False)),
    ),
    CategoryPlan(
        "missed_bin", "Missed bin", "Cleansing and Waste", 14, 4, 3,
        ("Bins on {street} were not lifted on collection day.",
         "Whole row on {street} missed this week.",
         "Resident on {street} says their bin has been missed twice running."),
        (_choice("bin", "Which bin", ["Black", "Blue", "Brown", "Glass"]),),
    ),
    CategoryPlan(
        "street_cleaning", "Litter and street cleaning", "Cleansing and Waste",
        8, 8, 5,
        ("Broken glass all along the footpath on {street}.",
         "Litter piling up around the bus stop on {street}.",
         "Leaves and mud making {street} slippery for older residents."),
    ),
    CategoryPlan(
        "graffiti", "Graffiti", "Cleansing and Waste", 5, 8, 10,
        ("Graffiti sprayed on the gable wall at {street}.",
         "Tags on the shutters of the shops on {street}."),
        (_choice("offensive", "Is it offensive", YES_NO),),
    ),
    CategoryPlan(
        "dog_fouling", "Dog fouling", "Environmental Health", 5, 24, 10,
        ("Dog fouling is bad on {street}, near the school gates.",
         "Residents on {street} ask for more patrols for dog fouling."),
    ),
    CategoryPlan(
        "overgrown", "Overgrown grass and hedges", "Parks and Open Spaces",
        7, 24, 10,
        ("The grass verge on {street} has not been cut for weeks.",
         "Hedge on {street} is blocking the footpath for prams."),
    ),
    CategoryPlan(
        "play_equipment", "Damaged play equipment", "Parks and Open Spaces",
        3, 4, 5,
        ("A swing is broken in the play park and has sharp edges.",
         "The roundabout in the play park is stuck and a panel is loose."),
        (_text("park", "Which park", required=True),),
    ),
    CategoryPlan(
        "noise", "Noise nuisance", "Environmental Health", 6, 24, 10,
        ("Residents on {street} report loud music late at night.",
         "An alarm has been going off for days at a unit on {street}."),
        (_choice("when", "When is it worst",
                 ["Daytime", "Evening", "Night", "All hours"]),
         _choice("source", "Where it comes from",
                 ["Neighbour", "Business", "Construction", "Alarm", "Other"],
                 required=False)),
    ),
    CategoryPlan(
        "pests", "Rats and pests", "Environmental Health", 4, 24, 10,
        ("Rats seen in the back yards on {street}.",
         "Residents of {street} say pests are coming from a vacant house."),
        (_choice("pest", "What pest", ["Rats", "Mice", "Cockroaches", "Wasps",
                                       "Other"]),),
    ),
    CategoryPlan(
        "abandoned_vehicle", "Abandoned vehicle", "Environmental Health",
        3, 24, 10,
        ("A car with flat tyres has not moved from {street} in a month.",
         "Burnt-out van left on {street}."),
        (_text("registration", "Registration, if known"),),
    ),
    CategoryPlan(
        "dangerous_structure", "Dangerous structure", "Building Control",
        2, 2, 5,
        ("Loose slates on a derelict building on {street}.",
         "Wall leaning over the footpath on {street} after the storm."),
    ),
    CategoryPlan(
        "street_light", "Street light out", "Street Lighting", 8, 24, 10,
        ("Street light outside {number} {street} is out.",
         "Three lights in a row are out on {street}, very dark at night."),
        (_text("pole", "Pole number", required=True),
         _choice("fault", "What is wrong",
                 ["Out all the time", "On during the day", "Flickering"],
                 required=False)),
    ),
    CategoryPlan(
        "pothole", "Pothole or damaged footpath", "Roads and Drainage liaison",
        8, 24, 15,
        ("Deep pothole on {street} near the junction.",
         "Footpath on {street} is broken up and a resident fell."),
        (_choice("depth", "How deep",
                 ["Shallow", "Deeper than a brick", "Dangerous"]),),
    ),
    CategoryPlan(
        "blocked_drain", "Blocked drain or flooding", "Roads and Drainage liaison",
        5, 8, 10,
        ("Gully on {street} blocked; water across the road when it rains.",
         "Flooding at the bottom of {street} after every heavy shower."),
        (_choice("flooding", "Is there flooding now", YES_NO),),
    ),
    CategoryPlan(
        "housing_repair", "Housing repair", "Housing liaison", 8, 24, 15,
        ("Damp and mould in a tenant's home on {street}; repair not done.",
         "Tenant on {street} has been waiting months for a new back door."),
        (_choice("tenure", "Tenant of",
                 ["Housing Executive", "Housing association"]),),
    ),
)

PARKS = ("Botanic Gardens", "Ormeau Park", "Falls Park", "Victoria Park",
         "Woodvale Park", "Grove Playing Fields", "Musgrave Park",
         "Waterworks", "Cregagh Park", "Lagan Meadows")
STREETS = (
    ("Lisburn Road", "BT9"), ("Malone Road", "BT9"), ("Stranmillis Road", "BT9"),
    ("Botanic Avenue", "BT7"), ("Ormeau Road", "BT7"), ("Ravenhill Road", "BT6"),
    ("Cregagh Road", "BT6"), ("Castlereagh Street", "BT5"),
    ("Newtownards Road", "BT4"), ("Holywood Road", "BT4"),
    ("Woodstock Road", "BT6"), ("Albertbridge Road", "BT5"),
    ("Antrim Road", "BT15"), ("Cliftonville Road", "BT14"),
    ("Oldpark Road", "BT14"), ("Crumlin Road", "BT14"),
    ("Shankill Road", "BT13"), ("Falls Road", "BT12"),
    ("Springfield Road", "BT12"), ("Donegall Road", "BT12"),
    ("Glen Road", "BT11"), ("Andersonstown Road", "BT11"),
    ("Stewartstown Road", "BT10"), ("Donegall Pass", "BT7"),
    ("Sandy Row", "BT12"), ("Dunluce Avenue", "BT9"),
)

