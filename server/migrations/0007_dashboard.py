from datetime import datetime

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index

from server.hub.targets import response_times


async def time_past_responses(apps, schema_editor):
    """Give cases acknowledged before this migration their response times."""
    client = schema_editor.client
    _, rows = await client.execute_query(
        "SELECT id, created_at, acknowledged_at FROM cases"
        " WHERE acknowledged_at IS NOT NULL AND response_seconds IS NULL")
    update = ("UPDATE cases SET response_seconds = $1,"
              " response_working_seconds = $2 WHERE id = $3"
              if client.capabilities.dialect == "postgres" else
              "UPDATE cases SET response_seconds = ?,"
              " response_working_seconds = ? WHERE id = ?")
    for row in rows:
        arrived, answered = (
            value if isinstance(value, datetime) else datetime.fromisoformat(value)
            for value in (row["created_at"], row["acknowledged_at"]))
        clock, working = response_times(arrived, answered)
        await client.execute_query(update, [clock, working, row["id"]])

class Migration(migrations.Migration):
    dependencies = [('casehub', '0006_mail')]

    initial = False

    operations = [
        ops.RemoveIndex(
            model_name='Case',
            name=None,
            fields=['status', 'created_at'],
        ),
        ops.RemoveIndex(
            model_name='Case',
            name=None,
            fields=['created_at'],
        ),
        ops.AddField(
            model_name='Case',
            name='response_seconds',
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name='Case',
            name='response_working_seconds',
            field=fields.IntField(null=True),
        ),
        ops.AddIndex(
            model_name='Case',
            index=Index(fields=['status', 'created_at', 'acknowledged_at']),
        ),
        ops.AddIndex(
            model_name='Case',
            index=Index(fields=['created_at', 'status', 'acknowledge_by', 'acknowledged_at', 'response_seconds', 'response_working_seconds'], name='cases_arrivals'),
        ),
        ops.AddIndex(
            model_name='Case',
            index=Index(fields=['member_id', 'created_at', 'status']),
        ),
        ops.AddIndex(
            model_name='Case',
            index=Index(fields=['acknowledged_at', 'created_at', 'acknowledge_by', 'status']),
        ),
        ops.AddIndex(
            model_name='Case',
            index=Index(fields=['kind', 'created_at', 'answered_at', 'due_at', 'status']),
        ),
        ops.AddIndex(
            model_name='Case',
            index=Index(fields=['response_seconds', 'created_at'], name='cases_response_seconds'),
        ),
        ops.AddIndex(
            model_name='Case',
            index=Index(fields=['response_working_seconds', 'created_at'], name='cases_response_working_seconds'),
        ),
        ops.AddIndex(
            model_name='Case',
            index=Index(fields=['escalated_at', 'status']),
        ),
        ops.RemoveIndex(
            model_name='Contact',
            name=None,
            fields=['at', 'channel'],
        ),
        ops.AddIndex(
            model_name='Contact',
            index=Index(fields=['channel', 'at']),
        ),
        ops.AddIndex(
            model_name='Contact',
            index=Index(fields=['member_id', 'channel', 'at']),
        ),
        ops.RemoveIndex(
            model_name='Handoff',
            name=None,
            fields=['at', 'department_id'],
        ),
        ops.AddIndex(
            model_name='Handoff',
            index=Index(fields=['department_id', 'at']),
        ),
        ops.RunPython(time_past_responses, ops.RunPython.noop),
    ]
