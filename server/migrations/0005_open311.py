from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('casehub', '0004_rollout')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Open311Client',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(unique=True, max_length=80)),
                ('key_hash', fields.CharField(unique=True, max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('last_used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'open311_clients', 'app': 'casehub', 'pk_attr': 'id', 'table_description': 'A system allowed to send reports, such as FixMyStreet, and its API key.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Open311Request',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('case', fields.OneToOneField('casehub.Case', source_field='case_id', db_constraint=True, to_field='id', related_name='open311', on_delete=OnDelete.RESTRICT)),
                ('client', fields.ForeignKeyField('casehub.Open311Client', source_field='client_id', db_constraint=True, to_field='id', related_name='requests', on_delete=OnDelete.RESTRICT)),
                ('received_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('media_url', fields.CharField(null=True, max_length=2000)),
                ('address_id', fields.CharField(null=True, max_length=120)),
                ('account_id', fields.CharField(null=True, max_length=120)),
                ('device_id', fields.CharField(null=True, max_length=120)),
                ('attributes', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
            ],
            options={'table': 'open311_requests', 'app': 'casehub', 'indexes': [Index(fields=['received_at']), Index(fields=['client_id', 'received_at'])], 'pk_attr': 'id', 'table_description': 'A case a client system sent in, with what it sent beside the case.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Open311Update',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('client', fields.ForeignKeyField('casehub.Open311Client', source_field='client_id', db_constraint=True, to_field='id', related_name='updates', on_delete=OnDelete.RESTRICT)),
                ('case', fields.ForeignKeyField('casehub.Case', source_field='case_id', db_constraint=True, to_field='id', related_name='open311_updates', on_delete=OnDelete.RESTRICT)),
                ('event', fields.OneToOneField('casehub.CaseEvent', source_field='event_id', db_constraint=True, to_field='id', related_name='open311_update', on_delete=OnDelete.RESTRICT)),
                ('update_id', fields.CharField(null=True, max_length=120)),
                ('received_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'open311_updates', 'app': 'casehub', 'unique_together': (('client', 'update_id'),), 'indexes': [Index(fields=['client_id', 'received_at'])], 'pk_attr': 'id', 'table_description': 'A timeline entry a client system wrote: a comment, a photo, a reopening.'},
            bases=['Model'],
        ),
    ]
