from tortoise import migrations
from tortoise.migrations import operations as ops
from server.mail.models import MailState
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('casehub', '0005_open311')]

    initial = False

    operations = [
        ops.AlterField(
            model_name='MailMessage',
            name='state',
            field=fields.CharEnumField(description='RECEIVED: received\nUNMATCHED: unmatched\nDISMISSED: dismissed\nQUEUED: queued\nSENDING: sending\nSENT: sent\nFAILED: failed', enum_type=MailState, max_length=10),
        ),
        ops.AddField(
            model_name='MailMessage',
            name='dismissal_reason',
            field=fields.CharField(null=True, max_length=300),
        ),
        ops.AddField(
            model_name='MailMessage',
            name='sorted_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='MailMessage',
            name='sorted_by',
            field=fields.ForeignKeyField('casehub.User', source_field='sorted_by_id', null=True, db_constraint=True, to_field='id', related_name='sorted_mail', on_delete=OnDelete.SET_NULL),
        ),
        ops.AddField(
            model_name='MailMessage',
            name='unmatched_reason',
            field=fields.CharField(null=True, max_length=300),
        ),
    ]
