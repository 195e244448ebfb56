"""The server's push key, and the push subscription of each device."""

from __future__ import annotations

import binascii

from pydantic import BaseModel, Field
from quart import Blueprint, current_app
from quart_schema import tag, validate_request, validate_response

from server.auth import current_device
from server.errors import ApiError
from server.notifications import vapid
from server.notifications.allowlist import MAX_ENDPOINT, check_endpoint
from server.notifications.models import PushSubscription
from server.notifications.preferences import settings_data, wanted

blueprint = Blueprint("push", __name__)


class PushKey(BaseModel):
    public_key: str = Field(description="applicationServerKey, base64url.")
    key_id: str = Field(description="Changes when the key is rotated; "
                        "subscribe again when it does.")


class SubscriptionKeys(BaseModel):
    p256dh: str = Field(max_length=100)
    auth: str = Field(max_length=40)


class SubscriptionIn(BaseModel):
    endpoint: str = Field(max_length=MAX_ENDPOINT)
    keys: SubscriptionKeys


class SubscriptionOut(BaseModel):
    endpoint: str
    key_id: str
    alerts: dict[str, bool] = Field(description="The alerts this member wants.")


@blueprint.get("/api/push/key")
@tag(["push"])
@validate_response(PushKey, 200)
async def key() -> PushKey:
    """The public key phones subscribe with, and its id."""
    current = vapid.load_or_create(current_app.config["SETTINGS"].data_dir)
    return PushKey(public_key=current.public_key, key_id=current.key_id)


@blueprint.put("/api/push/subscription")
@tag(["push"])
@validate_request(SubscriptionIn)
@validate_response(SubscriptionOut, 200)
async def subscribe(data: SubscriptionIn) -> SubscriptionOut:
    """Record or refresh where this device takes its alerts."""
    device, user = await current_device()
    settings = current_app.config["SETTINGS"]
    check_endpoint(data.endpoint, settings.push_hosts)
    _check_keys(data.keys)
    current = vapid.load_or_create(settings.data_dir)

    # The same browser re-joined as someone else keeps its endpoint: the
    # previous user must stop getting alerts on it.
    await PushSubscription.filter(endpoint=data.endpoint).exclude(
        device_id=device.id
    ).delete()
    await PushSubscription.update_or_create(
        defaults={"user_id": user.id, "endpoint": data.endpoint,
                  "p256dh": data.keys.p256dh, "auth": data.keys.auth,
                  "key_id": current.key_id},
        device_id=device.id,
    )
    return SubscriptionOut(endpoint=data.endpoint, key_id=current.key_id,
                           alerts=settings_data(await wanted(user.id))["alerts"])


@blueprint.delete("/api/push/subscription")
@tag(["push"])
async def unsubscribe() -> tuple[str, int]:
    """Stop alerts to this device, as on signing out."""
    device, _ = await current_device()
    found = await PushSubscription.get_or_none(device_id=device.id)
    if found is not None:
        await found.delete()
    return "", 204


def _check_keys(keys: SubscriptionKeys) -> None:
    try:
        point = vapid.b64url_decode(keys.p256dh)
        secret = vapid.b64url_decode(keys.auth)
    except (binascii.Error, ValueError):
        point, secret = b"", b""
    if len(point) != 65 or point[0] != 4 or len(secret) != 16:
        raise ApiError(422, "push_keys_invalid",
                       "keys.p256dh must be a base64url P-256 public key and "
                       "keys.auth 16 base64url-encoded bytes.", field="keys")
