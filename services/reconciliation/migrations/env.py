from arflow.migrations import run_migrations_online
from arflow.persistence import platform_metadata
from reconciliation.models import metadata

run_migrations_online([metadata, platform_metadata])
