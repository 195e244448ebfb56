from tortoise import migrations
from tortoise.migrations import operations as ops
from server.notifications.models import AlertKind
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('casehub', '0003_hub')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AlertCheck',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('device', fields.ForeignKeyField('casehub.Device', source_field='device_id', db_constraint=True, to_field='id', related_name='alert_checks', on_delete=OnDelete.CASCADE)),
                ('requested_by', fields.ForeignKeyField('casehub.User', source_field='requested_by_id', null=True, db_constraint=True, to_field='id', related_name='alert_checks', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('received_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'alert_checks', 'app': 'casehub', 'indexes': [Index(fields=['device_id', 'created_at'])], 'pk_attr': 'id', 'table_description': 'A test alert sent to one phone, and when the phone said it arrived.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='BookingLink',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('member', fields.ForeignKeyField('casehub.User', source_field='member_id', db_constraint=True, to_field='id', related_name='booking_links', on_delete=OnDelete.CASCADE)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('last_used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'booking_links', 'app': 'casehub', 'pk_attr': 'id', 'table_description': "A member's personal link to their bookings, stored only as a hash."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Briefing',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('party', fields.ForeignKeyField('casehub.Party', source_field='party_id', db_constraint=True, to_field='id', related_name='briefings', on_delete=OnDelete.RESTRICT)),
                ('starts_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('minutes', fields.IntField()),
                ('place', fields.CharField(null=True, max_length=200)),
                ('online_url', fields.CharField(null=True, max_length=500)),
                ('scheduled_by', fields.ForeignKeyField('casehub.User', source_field='scheduled_by_id', null=True, db_constraint=True, to_field='id', related_name='briefings_scheduled', on_delete=OnDelete.SET_NULL)),
                ('cancelled_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'briefings', 'app': 'casehub', 'pk_attr': 'id', 'table_description': "A party group's briefing on casehub and the hub, run by the team."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DeviceReport',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('device', fields.OneToOneField('casehub.Device', source_field='device_id', db_constraint=True, to_field='id', related_name='report', on_delete=OnDelete.CASCADE)),
                ('app_version', fields.CharField(null=True, max_length=32)),
                ('platform', fields.CharField(max_length=16)),
                ('installed', fields.BooleanField()),
                ('notifications', fields.CharField(max_length=16)),
                ('push_subscribed', fields.BooleanField()),
                ('test_push_id', fields.UUIDField(null=True)),
                ('first_sync_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_sync_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('pending_changes', fields.IntField(default=0)),
                ('storage_persisted', fields.BooleanField()),
                ('reported_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'device_reports', 'app': 'casehub', 'pk_attr': 'id', 'table_description': 'What a phone last said about itself. Each report replaces the one before.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Feedback',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('member', fields.ForeignKeyField('casehub.User', source_field='member_id', db_constraint=True, to_field='id', related_name='feedback', on_delete=OnDelete.RESTRICT)),
                ('party', fields.ForeignKeyField('casehub.Party', source_field='party_id', null=True, db_constraint=True, to_field='id', related_name='feedback', on_delete=OnDelete.SET_NULL)),
                ('briefing', fields.ForeignKeyField('casehub.Briefing', source_field='briefing_id', null=True, db_constraint=True, to_field='id', related_name='feedback', on_delete=OnDelete.SET_NULL)),
                ('hub_rating', fields.IntField()),
                ('hub_comment', fields.TextField(null=True, unique=False)),
                ('app_rating', fields.IntField()),
                ('app_comment', fields.TextField(null=True, unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('client_created_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'feedback', 'app': 'casehub', 'indexes': [Index(fields=['party_id', 'created_at'])], 'pk_attr': 'id', 'table_description': "A member's ratings of the hub and of the app, given in the app."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='TrainingSlot',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('trainer', fields.ForeignKeyField('casehub.User', source_field='trainer_id', db_constraint=True, to_field='id', related_name='training_slots', on_delete=OnDelete.RESTRICT)),
                ('starts_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('minutes', fields.IntField()),
                ('place', fields.CharField(null=True, max_length=200)),
                ('online_url', fields.CharField(null=True, max_length=500)),
                ('cancelled_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'training_slots', 'app': 'casehub', 'indexes': [Index(fields=['starts_at'])], 'pk_attr': 'id', 'table_description': "A time a trainer keeps free to set up one member's phone."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Booking',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('slot', fields.ForeignKeyField('casehub.TrainingSlot', source_field='slot_id', db_constraint=True, to_field='id', related_name='bookings', on_delete=OnDelete.RESTRICT)),
                ('member', fields.ForeignKeyField('casehub.User', source_field='member_id', db_constraint=True, to_field='id', related_name='training_bookings', on_delete=OnDelete.RESTRICT)),
                ('booked_by', fields.ForeignKeyField('casehub.User', source_field='booked_by_id', null=True, db_constraint=True, to_field='id', related_name='bookings_made', on_delete=OnDelete.SET_NULL)),
                ('held_slot', fields.IntField(null=True, unique=True)),
                ('live_member', fields.IntField(null=True, unique=True)),
                ('sequence', fields.IntField(default=0)),
                ('booked_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('cancelled_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('reminded_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('trained_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'training_bookings', 'app': 'casehub', 'indexes': [Index(fields=['member_id', 'booked_at'])], 'pk_attr': 'id', 'table_description': "One member's place at a slot, from booking through moves to the end."},
            bases=['Model'],
        ),
        ops.AlterField(
            model_name='DueReminder',
            name='kind',
            field=fields.CharEnumField(description='ACKNOWLEDGED: acknowledged\nHANDOFF: handoff\nSTATUS: status\nREPLY: reply\nDUE_SOON: due_soon\nOVERDUE: overdue\nRESOLVED: resolved\nCLOSED: closed\nTEST: test', enum_type=AlertKind, max_length=16),
        ),
        ops.AlterField(
            model_name='Notification',
            name='kind',
            field=fields.CharEnumField(description='ACKNOWLEDGED: acknowledged\nHANDOFF: handoff\nSTATUS: status\nREPLY: reply\nDUE_SOON: due_soon\nOVERDUE: overdue\nRESOLVED: resolved\nCLOSED: closed\nTEST: test', enum_type=AlertKind, max_length=16),
        ),
    ]
