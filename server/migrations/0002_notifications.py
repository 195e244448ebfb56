from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from server.notifications.models import AlertKind, Delivery
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('casehub', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AlertPreferences',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.OneToOneField('casehub.User', source_field='user_id', db_constraint=True, to_field='id', related_name='alert_preferences', on_delete=OnDelete.CASCADE)),
                ('kinds', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'alert_preferences', 'app': 'casehub', 'pk_attr': 'id', 'table_description': 'Which alerts a member wants. Members without a row get every kind.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DueReminder',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('case_id', fields.UUIDField()),
                ('kind', fields.CharEnumField(description='ACKNOWLEDGED: acknowledged\nHANDOFF: handoff\nSTATUS: status\nREPLY: reply\nDUE_SOON: due_soon\nOVERDUE: overdue\nRESOLVED: resolved\nCLOSED: closed', enum_type=AlertKind, max_length=16)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'due_reminders', 'app': 'casehub', 'unique_together': (('case_id', 'kind'),), 'pk_attr': 'id', 'table_description': 'A due-date alert already raised for a case, so it is raised only once.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PushSubscription',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('device', fields.OneToOneField('casehub.Device', source_field='device_id', db_constraint=True, to_field='id', related_name='push_subscription', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('casehub.User', source_field='user_id', db_constraint=True, to_field='id', related_name='push_subscriptions', on_delete=OnDelete.CASCADE)),
                ('endpoint', fields.CharField(unique=True, max_length=1000)),
                ('p256dh', fields.CharField(max_length=100)),
                ('auth', fields.CharField(max_length=40)),
                ('key_id', fields.CharField(max_length=16)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'push_subscriptions', 'app': 'casehub', 'pk_attr': 'id', 'table_description': 'Where the push service of one device takes alerts for its user.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Notification',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('subscription', fields.ForeignKeyField('casehub.PushSubscription', source_field='subscription_id', null=True, db_constraint=True, to_field='id', related_name='notifications', on_delete=OnDelete.SET_NULL)),
                ('delivery_key', fields.CharField(unique=True, max_length=120)),
                ('case_id', fields.UUIDField()),
                ('kind', fields.CharEnumField(description='ACKNOWLEDGED: acknowledged\nHANDOFF: handoff\nSTATUS: status\nREPLY: reply\nDUE_SOON: due_soon\nOVERDUE: overdue\nRESOLVED: resolved\nCLOSED: closed', enum_type=AlertKind, max_length=16)),
                ('payload', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('urgency', fields.CharField(default='normal', max_length=8)),
                ('status', fields.CharEnumField(default=Delivery.PENDING, description='PENDING: pending\nSENDING: sending\nSENT: sent\nFAILED: failed\nGONE: gone', enum_type=Delivery, max_length=8)),
                ('attempts', fields.IntField(default=0)),
                ('next_attempt_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('claim', fields.CharField(null=True, max_length=64)),
                ('claimed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('reclaims', fields.IntField(default=0)),
                ('sent_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_error', fields.CharField(null=True, max_length=300)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'notifications', 'app': 'casehub', 'indexes': [Index(fields=['status', 'next_attempt_at'])], 'pk_attr': 'id', 'table_description': 'One alert for one device, written with the change that caused it.'},
            bases=['Model'],
        ),
    ]
