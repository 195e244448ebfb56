from tortoise import migrations
from tortoise.migrations import operations as ops
from server.mail.models import MailDirection, MailState
from server.models import Channel, EventKind
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('casehub', '0002_notifications')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Contact',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('channel', fields.CharEnumField(description='APP: app\nPHONE: phone\nEMAIL: email\nWEB: web', enum_type=Channel, max_length=12)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('member', fields.ForeignKeyField('casehub.User', source_field='member_id', null=True, db_constraint=True, to_field='id', related_name='contacts', on_delete=OnDelete.SET_NULL)),
                ('case', fields.ForeignKeyField('casehub.Case', source_field='case_id', null=True, db_constraint=True, to_field='id', related_name='contacts', on_delete=OnDelete.SET_NULL)),
                ('agent', fields.ForeignKeyField('casehub.User', source_field='agent_id', null=True, db_constraint=True, to_field='id', related_name='logged_contacts', on_delete=OnDelete.SET_NULL)),
                ('summary', fields.CharField(default='', max_length=300)),
                ('notes', fields.TextField(null=True, unique=False)),
                ('source', fields.CharField(null=True, max_length=254)),
            ],
            options={'table': 'contacts', 'app': 'casehub', 'indexes': [Index(fields=['at', 'channel']), Index(fields=['member_id', 'at'])], 'pk_attr': 'id', 'table_description': 'One contact with the hub on any channel, counted on the dashboard.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Handoff',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('case', fields.ForeignKeyField('casehub.Case', source_field='case_id', db_constraint=True, to_field='id', related_name='handoffs', on_delete=OnDelete.CASCADE)),
                ('department', fields.ForeignKeyField('casehub.Department', source_field='department_id', db_constraint=True, to_field='id', related_name='handoffs', on_delete=OnDelete.RESTRICT)),
                ('by', fields.ForeignKeyField('casehub.User', source_field='by_id', null=True, db_constraint=True, to_field='id', related_name='handoffs', on_delete=OnDelete.SET_NULL)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('by_email', fields.BooleanField(default=False)),
            ],
            options={'table': 'handoffs', 'app': 'casehub', 'indexes': [Index(fields=['at', 'department_id'])], 'pk_attr': 'id', 'table_description': 'A case given to a department, through casehub or by email.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='MailMessage',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('message_id', fields.CharField(unique=True, max_length=255)),
                ('direction', fields.CharEnumField(description='IN: in\nOUT: out', enum_type=MailDirection, max_length=4)),
                ('state', fields.CharEnumField(description='RECEIVED: received\nUNMATCHED: unmatched\nQUEUED: queued\nSENDING: sending\nSENT: sent\nFAILED: failed', enum_type=MailState, max_length=10)),
                ('case', fields.ForeignKeyField('casehub.Case', source_field='case_id', null=True, db_constraint=True, to_field='id', related_name='mail', on_delete=OnDelete.SET_NULL)),
                ('department', fields.ForeignKeyField('casehub.Department', source_field='department_id', null=True, db_constraint=True, to_field='id', related_name='mail', on_delete=OnDelete.SET_NULL)),
                ('user', fields.ForeignKeyField('casehub.User', source_field='user_id', null=True, db_constraint=True, to_field='id', related_name='mail', on_delete=OnDelete.SET_NULL)),
                ('sender', fields.CharField(max_length=254)),
                ('recipient', fields.CharField(max_length=254)),
                ('subject', fields.CharField(max_length=300)),
                ('body', fields.TextField(unique=False)),
                ('source', fields.TextField(unique=False)),
                ('in_reply_to', fields.CharField(null=True, max_length=255)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('sent_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('attempts', fields.IntField(default=0)),
                ('next_attempt_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('claim', fields.CharField(null=True, max_length=64)),
                ('claimed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_error', fields.TextField(null=True, unique=False)),
            ],
            options={'table': 'mail_messages', 'app': 'casehub', 'indexes': [Index(fields=['state', 'next_attempt_at']), Index(fields=['case_id', 'created_at'])], 'pk_attr': 'id', 'table_description': 'An email in or out, kept so replies thread back onto their case.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Attachment',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('mail', fields.ForeignKeyField('casehub.MailMessage', source_field='mail_id', db_constraint=True, to_field='id', related_name='attachments', on_delete=OnDelete.CASCADE)),
                ('case', fields.ForeignKeyField('casehub.Case', source_field='case_id', null=True, db_constraint=True, to_field='id', related_name='attachments', on_delete=OnDelete.SET_NULL)),
                ('sha256', fields.CharField(max_length=64)),
                ('filename', fields.CharField(max_length=255)),
                ('mime', fields.CharField(max_length=120)),
                ('size', fields.IntField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'attachments', 'app': 'casehub', 'indexes': [Index(fields=['sha256'])], 'pk_attr': 'id', 'table_description': 'A file that came with an email, stored by the SHA-256 of its bytes.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ResponseTemplate',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('category', fields.ForeignKeyField('casehub.Category', source_field='category_id', null=True, db_constraint=True, to_field='id', related_name='templates', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=120)),
                ('body', fields.TextField(unique=False)),
                ('active', fields.BooleanField(default=True)),
            ],
            options={'table': 'response_templates', 'app': 'casehub', 'pk_attr': 'id', 'table_description': 'A reply the hub sends often, with placeholders such as {reference}.'},
            bases=['Model'],
        ),
        ops.AlterField(
            model_name='Case',
            name='category',
            field=fields.ForeignKeyField('casehub.Category', source_field='category_id', null=True, db_constraint=True, to_field='id', related_name='cases', on_delete=OnDelete.RESTRICT),
        ),
        ops.AlterField(
            model_name='Case',
            name='channel',
            field=fields.CharEnumField(default=Channel.APP, description='APP: app\nPHONE: phone\nEMAIL: email\nWEB: web', enum_type=Channel, max_length=12),
        ),
        ops.AlterField(
            model_name='Case',
            name='member',
            field=fields.ForeignKeyField('casehub.User', source_field='member_id', null=True, db_constraint=True, to_field='id', related_name='cases', on_delete=OnDelete.RESTRICT),
        ),
        ops.AddField(
            model_name='Case',
            name='acknowledge_by',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Case',
            name='acknowledged_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Case',
            name='answered_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Case',
            name='assigned_to',
            field=fields.ForeignKeyField('casehub.User', source_field='assigned_to_id', null=True, db_constraint=True, to_field='id', related_name='assigned_cases', on_delete=OnDelete.SET_NULL),
        ),
        ops.AddField(
            model_name='Case',
            name='duplicate_of',
            field=fields.ForeignKeyField('casehub.Case', source_field='duplicate_of_id', null=True, db_constraint=True, to_field='id', related_name='duplicates', on_delete=OnDelete.SET_NULL),
        ),
        ops.AddField(
            model_name='Case',
            name='escalated_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddIndex(
            model_name='Case',
            index=Index(fields=['status', 'created_at']),
        ),
        ops.AddIndex(
            model_name='Case',
            index=Index(fields=['department_id', 'status']),
        ),
        ops.AddIndex(
            model_name='Case',
            index=Index(fields=['created_at']),
        ),
        ops.AlterField(
            model_name='CaseEvent',
            name='kind',
            field=fields.CharEnumField(description='CREATED: created\nNOTE: note\nPHOTO: photo\nSTATUS_CHANGE: status_change\nHANDOFF: handoff\nREPLY: reply\nINTERNAL_NOTE: internal_note\nASSIGNED: assigned\nLINKED: linked\nCONTACT: contact\nESCALATED: escalated\nUPDATED: updated', enum_type=EventKind, max_length=24),
        ),
    ]
