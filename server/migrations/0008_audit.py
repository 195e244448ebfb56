from tortoise import migrations
from tortoise.migrations import operations as ops
from server.audit import Action
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('casehub', '0007_dashboard')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AuditEntry',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('user', fields.ForeignKeyField('casehub.User', source_field='user_id', null=True, db_constraint=True, to_field='id', related_name='audit_entries', on_delete=OnDelete.SET_NULL)),
                ('action', fields.CharEnumField(description='READ: read\nCHANGE: change\nEXPORT: export', enum_type=Action, max_length=8)),
                ('subject', fields.CharField(max_length=16)),
                ('reference', fields.CharField(null=True, max_length=40)),
                ('method', fields.CharField(max_length=8)),
                ('path', fields.CharField(max_length=300)),
                ('status', fields.IntField()),
            ],
            options={'table': 'audit_entries', 'app': 'casehub', 'indexes': [Index(fields=['reference', 'at']), Index(fields=['user_id', 'at']), Index(fields=['at'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
