"""Read a casehub Open311 endpoint with georeport, the independent client.

Run by tests/test_open311_georeport.py with the interpreter of georeport's
own environment, so nothing here may import casehub. Prints what it read,
as JSON, for the test to check.
"""

import json
import sys

import georeport
import requests
import xmltodict
from georeport import GeoReport


def attempt(call, *args, **kwargs):
    """What a call returned, or the name of the error it raised."""
    try:
        return call(*args, **kwargs)
    except requests.HTTPError as error:
        return {"http_status": error.response.status_code}
    except (TypeError, KeyError) as error:
        return {"raised": type(error).__name__}


def read(base: str, reference: str, fmt: str) -> dict:
    client = GeoReport(base, jurisdiction="council.test", output_format=fmt)
    found = {
        "services": client.get_service_list(),
        "definition": client.get_service_definition("fly_tipping"),
        "open": client.get_service_requests(status="open",
                                            service_code="fly_tipping"),
        "closed": attempt(client.get_service_requests, status="closed"),
        "by_id": client.get_service_requests(service_request_id=reference),
        "one": client.get_service_request(reference),
    }
    found["missing"] = attempt(client.get_service_definition, "potholes")
    return found


def main() -> None:
    base, reference = sys.argv[1], sys.argv[2]
    print(json.dumps({
        "georeport": georeport.__version__,
        "xmltodict": xmltodict.__version__,
        "json": read(base, reference, "json"),
        "xml": read(base, reference, "xml"),
    }))


main()
